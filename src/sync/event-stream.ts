// GET /events: the v1 long-poll. It holds no database transaction while waiting: each round
// reads the streams from its token, and the notifier only says "look again".
import type { Homeserver } from '../homeserver.js';
import type { JsonObject } from '../events/index.js';
import type { SyncService } from './index.js';
import { formatStreamToken, parseStreamToken, type StreamToken } from './tokens.js';

const MAX_EVENTS = 100;
const MAX_TIMEOUT_MS = 60_000;
const MIN_TIMEOUT_MS = 0;

export interface StreamChunk {
  chunk: JsonObject[];
  start: string;
  end: string;
}

export class EventStream {
  constructor(private readonly hs: Homeserver, private readonly sync: SyncService) {}

  async poll(userId: string, fromParam: string | undefined, timeoutMs: number, signal: AbortSignal): Promise<StreamChunk> {
    let from = fromParam ? parseStreamToken(fromParam) : this.sync.currentToken();
    const start = fromParam ?? formatStreamToken(from);
    this.sync.presence.markActive(userId);
    const deadline = Date.now() + Math.min(Math.max(timeoutMs, MIN_TIMEOUT_MS), MAX_TIMEOUT_MS);
    this.hs.metrics.longPolls.inc();
    try {
      for (;;) {
        const remaining = deadline - Date.now();
        // Subscribe before reading, so an event committed in between still wakes us.
        const round = new AbortController();
        const abort = () => round.abort();
        signal.addEventListener('abort', abort, { once: true });
        const woken = this.hs.notifier.wait(userId, Math.max(remaining, 0), round.signal);
        const to = this.sync.currentToken();
        const { chunk, end } = this.collect(userId, from, to);
        if (chunk.length > 0 || remaining <= 0 || signal.aborted || this.hs.notifier.closed) {
          round.abort();
          signal.removeEventListener('abort', abort);
          return { chunk, start, end: formatStreamToken(end) };
        }
        await woken;
        signal.removeEventListener('abort', abort);
        from = to;
      }
    } finally {
      this.hs.metrics.longPolls.dec();
      this.sync.presence.touch(userId);
    }
  }

  /** Everything the user may see between two positions, room events first. */
  collect(userId: string, from: StreamToken, to: StreamToken): { chunk: JsonObject[]; end: StreamToken } {
    const end = { ...to };
    const rows = from.room < to.room ? this.hs.storage.events.userStreamEvents(userId, from.room, to.room, MAX_EVENTS) : [];
    if (rows.length === MAX_EVENTS) end.room = rows[rows.length - 1].stream_ordering!;
    const chunk: JsonObject[] = rows.map((r) => this.sync.events.format(r));
    const joined = new Set(this.hs.storage.state.roomsForUser(userId, ['join']).map((r) => r.room_id));
    chunk.push(...(this.sync.typing.eventsSince(from.typing, joined) as unknown as JsonObject[]));
    if (from.presence < to.presence) chunk.push(...(this.sync.presence.eventsBetween(userId, from.presence, to.presence) as unknown as JsonObject[]));
    if (from.receipt < to.receipt) chunk.push(...(this.sync.receipts.eventsBetween(joined, from.receipt, to.receipt) as unknown as JsonObject[]));
    return { chunk, end };
  }
}
