// GET /rooms/{roomId}/messages: history in topological order, filtered by history visibility,
// pulling older events from other servers when our copy of the room runs out.
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { RemoteRooms } from '../rooms/ports.js';
import type { EventRow } from '../storage/events.js';
import type { JsonObject } from '../events/index.js';
import type { SyncReader } from './reader.js';
import { badPagination } from '../errors.js';
import { formatStreamToken, formatTopologicalToken, parseStreamToken, parseTopologicalToken, type TopologicalToken } from './tokens.js';

const MAX_LIMIT = 1000;

export interface MessagesQuery {
  from?: string;
  to?: string;
  dir?: string;
  limit?: number;
}

export class Pagination {
  constructor(
    private readonly storage: Storage,
    /** Older events from other servers (noRemoteRooms: none). */
    private readonly remote: Pick<RemoteRooms, 'backfill'>,
    private readonly log: Logger,
    private readonly sync: SyncReader,
  ) {}

  async messages(userId: string, roomId: string, q: MessagesQuery): Promise<{ chunk: JsonObject[]; start: string; end: string }> {
    const { leave, peeking } = this.sync.readAccess(userId, roomId);
    const dir = q.dir === 'b' ? 'b' : 'f';
    if (q.dir !== undefined && q.dir !== 'b' && q.dir !== 'f') throw badPagination("'dir' must be 'b' or 'f'");
    const limit = Math.min(Math.max(q.limit ?? 10, 0), MAX_LIMIT);
    const startToken = q.from ?? formatStreamToken(this.sync.currentToken());
    let position = this.position(roomId, q.from, dir);
    // A user who left reads up to their leave and no further (SPEC-216).
    const cap = leave ? { depth: leave.depth, stream: leave.stream_ordering! + 1 } : null;
    const afterCap = (p: { depth: number; stream: number }) => cap !== null && (p.depth > cap.depth || (p.depth === cap.depth && p.stream >= cap.stream));
    if (dir === 'b' && afterCap(position)) position = cap!;
    // A stream token as the end bound keeps what happened up to it, in either direction.
    const until = q.to !== undefined ? this.position(roomId, q.to, dir) : null;
    const readCapped = () => {
      const got = this.read(roomId, position, dir, limit, until);
      const cut = got.findIndex((r) => afterCap({ depth: r.depth, stream: r.stream_ordering! }));
      return cut === -1 ? got : got.slice(0, cut);
    };
    let rows = readCapped();
    if (dir === 'b' && rows.length < limit && this.storage.events.backwardExtremities(roomId).length > 0) {
      // Our copy of the room ends here: ask the servers in the room for more, then read again.
      try {
        await this.remote.backfill(roomId, limit - rows.length + 10);
        rows = readCapped();
      } catch (err) {
        this.log.warn({ err, roomId }, 'backfill failed');
      }
    }
    const visible = this.sync.visibility.filter(userId, rows, peeking);
    const last = rows[rows.length - 1];
    return {
      chunk: this.sync.events.formatMany(visible),
      start: startToken,
      end: last ? formatTopologicalToken({ depth: last.depth, stream: last.stream_ordering! }) : startToken,
    };
  }

  /**
   * The newest `limit` timeline events (up to and including `upTo`, a user's leave, if given),
   * oldest first, and the token before the oldest.
   */
  latest(userId: string, roomId: string, limit: number, upTo: EventRow | null = null, peeking = false): { chunk: JsonObject[]; start: string; end: string } {
    const now = this.sync.currentToken();
    if (upTo) now.room = upTo.stream_ordering!;
    const top = upTo ? { depth: upTo.depth, stream: upTo.stream_ordering! + 1 } : { depth: Number.MAX_SAFE_INTEGER, stream: Number.MAX_SAFE_INTEGER };
    const rows = limit > 0 ? this.read(roomId, top, 'b', Math.min(limit, MAX_LIMIT), null) : [];
    const oldest = rows[rows.length - 1];
    const visible = this.sync.visibility.filter(userId, rows, peeking).reverse();
    return {
      chunk: this.sync.events.formatMany(visible),
      start: oldest ? formatTopologicalToken({ depth: oldest.depth, stream: oldest.stream_ordering! }) : formatStreamToken(now),
      end: formatStreamToken(now),
    };
  }

  private read(roomId: string, from: TopologicalToken, dir: 'b' | 'f', limit: number, until: TopologicalToken | null): EventRow[] {
    const rows = this.storage.events.roomEventsTopological(roomId, from.depth, from.stream, dir, limit);
    if (!until) return rows;
    const beyond = (r: EventRow) =>
      dir === 'b'
        ? r.depth < until.depth || (r.depth === until.depth && r.stream_ordering! < until.stream)
        : r.depth > until.depth || (r.depth === until.depth && r.stream_ordering! > until.stream);
    const cut = rows.findIndex(beyond);
    return cut === -1 ? rows : rows.slice(0, cut);
  }

  /**
   * A token as a topological position. Live stream tokens ("s...", or "END"/none for now) point
   * just past the newest event at that stream position, so paginating back includes it.
   */
  private position(roomId: string, token: string | undefined, dir: 'b' | 'f'): TopologicalToken {
    if (token !== undefined && token !== 'END') {
      const topo = parseTopologicalToken(token);
      if (topo) return topo;
    }
    const stream = token === undefined || token === 'END' ? null : parseStreamToken(token).room;
    const at = this.storage.events.positionAt(roomId, stream);
    if (!at) return dir === 'b' ? { depth: 0, stream: 0 } : { depth: Number.MAX_SAFE_INTEGER, stream: Number.MAX_SAFE_INTEGER };
    return dir === 'b' ? { depth: at.depth, stream: at.stream + 1 } : at;
  }
}
