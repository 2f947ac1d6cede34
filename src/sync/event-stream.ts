// GET /events: the v1 long-poll. It holds no database transaction while waiting: each round
// reads the streams from its token, and the notifier only says "look again".
import type { Storage } from '../storage/index.js';
import type { EventLoader } from '../rooms/event-loader.js';
import type { AccountDataService } from '../accounts/account-data.js';
import type { Metrics } from '../metrics.js';
import type { Notifier } from './notifier.js';
import type { AppserviceView } from './ports.js';
import type { JsonObject } from '../events/index.js';
import type { EventRow } from '../storage/events.js';
import type { Requester } from '../accounts/auth.js';
import type { SyncReader } from './reader.js';
import { formatStreamToken, parseStreamToken, type StreamToken } from './tokens.js';
import { longPoll } from './long-poll.js';

const MAX_EVENTS = 100;

export interface StreamChunk {
  chunk: JsonObject[];
  start: string;
  end: string;
}

export interface EventStreamDeps {
  storage: Storage;
  loader: EventLoader;
  notifier: Notifier;
  metrics: Metrics;
  accountData: AccountDataService;
  /** An application service's sender sees its namespaces (noAppserviceView when none). */
  appservices: AppserviceView;
}

export class EventStream {
  private readonly storage: Storage;
  private readonly loader: EventLoader;
  private readonly notifier: Notifier;
  private readonly metrics: Metrics;
  private readonly accountData: AccountDataService;
  private readonly appservices: AppserviceView;

  constructor(deps: EventStreamDeps, private readonly sync: SyncReader) {
    ({ storage: this.storage, loader: this.loader, notifier: this.notifier, metrics: this.metrics, accountData: this.accountData, appservices: this.appservices } = deps);
  }

  async poll(requester: Requester, fromParam: string | undefined, timeoutMs: number, signal: AbortSignal, roomId: string | null = null): Promise<StreamChunk> {
    const { userId } = requester;
    // One room only: members see it as usual, others only if it is world_readable.
    const peeking = roomId !== null ? this.sync.historyAccess(userId, roomId) : false;
    // Without `from` the stream starts after this request's own presence change (the caller
    // coming online), which would otherwise answer the poll at once. Guests reading a room do
    // not come online (Synapse's affect_presence = not is_guest).
    const parsedFrom = fromParam ? parseStreamToken(fromParam) : null;
    if (!requester.isGuest) this.sync.presence.markActive(userId);
    let from = parsedFrom ?? this.sync.currentToken();
    const start = fromParam ?? formatStreamToken(from);
    this.metrics.longPolls.inc();
    try {
      return await longPoll({ notifier: this.notifier, userId, roomId }, timeoutMs, signal, () => {
        const to = this.sync.currentToken();
        const { chunk, end } = roomId !== null ? this.collectRoom(requester, roomId, peeking, from, to) : this.collect(requester, from, to);
        const value = { chunk, start, end: formatStreamToken(end) };
        from = end; // the next round reads on from here
        // A page limit stopped the read early: read on without waiting if that page showed nothing.
        return { value, ready: chunk.length > 0, more: end.room < to.room };
      });
    } finally {
      this.metrics.longPolls.dec();
      if (!requester.isGuest) this.sync.presence.touch(userId);
    }
  }

  /** Everything the user may see between two positions, room events first. */
  collect(requester: Requester, from: StreamToken, to: StreamToken): { chunk: JsonObject[]; end: StreamToken } {
    const { userId } = requester;
    const end = { ...to };
    const { rows, upTo } = from.room < to.room ? this.roomEvents(requester, from.room, to.room) : { rows: [], upTo: to.room };
    end.room = upTo;
    // A room joined since `from` must not reveal what history_visibility hid before the join.
    const everything = this.appservices.senderServiceId(requester) !== undefined;
    const chunk: JsonObject[] = this.sync.events.formatMany(everything ? rows : this.sync.visibility.filter(userId, rows));
    const joined = new Set(this.storage.state.roomsForUser(userId, ['join']).map((r) => r.room_id));
    chunk.push(...(this.sync.typing.eventsSince(from.typing, joined) as unknown as JsonObject[]));
    if (from.presence < to.presence) chunk.push(...(this.sync.presence.eventsBetween(userId, from.presence, to.presence) as unknown as JsonObject[]));
    if (from.receipt < to.receipt) chunk.push(...(this.sync.receipts.eventsBetween(joined, from.receipt, to.receipt) as unknown as JsonObject[]));
    // Account data and tags: global ones as {type, content}, a room's with its room_id.
    const data = this.accountData.changes(userId, from.accountData, to.accountData);
    chunk.push(...(data.global as unknown as JsonObject[]));
    for (const [room_id, events] of data.rooms) for (const ev of events) chunk.push({ ...ev, room_id } as unknown as JsonObject);
    return { chunk, end };
  }

  /**
   * GET /events?room_id=&dir=b without `from`: a backwards read has nothing to wait for, so it
   * answers at once with the room's newest events the user may see, newest first.
   */
  latestInRoom(requester: Requester, roomId: string, limit: number): StreamChunk {
    const peeking = this.sync.historyAccess(requester.userId, roomId);
    const now = this.sync.currentToken();
    const rows = this.storage.events.roomEventsNewestFirst(roomId, Number.MIN_SAFE_INTEGER, now.room, Math.min(Math.max(limit, 0), MAX_EVENTS));
    const token = formatStreamToken(now);
    return { chunk: this.sync.events.formatMany(this.sync.visibility.filter(requester.userId, rows, peeking)), start: token, end: token };
  }

  /** One room's events, typing, receipts and its members' presence between two positions. */
  collectRoom(requester: Requester, roomId: string, peeking: boolean, from: StreamToken, to: StreamToken): { chunk: JsonObject[]; end: StreamToken } {
    const end = { ...to };
    const rows = from.room < to.room ? this.storage.events.roomEventsInStreamRange(roomId, from.room, to.room, MAX_EVENTS) : [];
    if (rows.length === MAX_EVENTS) end.room = rows[rows.length - 1].stream_ordering!;
    const chunk: JsonObject[] = this.sync.events.formatMany(this.sync.visibility.filter(requester.userId, rows, peeking));
    chunk.push(...(this.sync.typing.eventsSince(from.typing, [roomId]) as unknown as JsonObject[]));
    if (from.presence < to.presence) {
      const members = new Set(this.storage.state.membersWith(roomId, 'join'));
      const rowsP = this.storage.presence.changedBetween(from.presence, to.presence).filter((r) => members.has(r.user_id));
      chunk.push(...(rowsP.map((r) => this.sync.presence.toEvent(r)) as unknown as JsonObject[]));
    }
    if (from.receipt < to.receipt) chunk.push(...(this.sync.receipts.eventsBetween(new Set([roomId]), from.receipt, to.receipt) as unknown as JsonObject[]));
    return { chunk, end };
  }

  /**
   * The user's rooms; for an application service's own sender, also every room the service is
   * interested in (its namespaces), as Synapse's get_app_service_rooms did.
   */
  private roomEvents(requester: Requester, from: number, to: number): { rows: EventRow[]; upTo: number } {
    const own = this.storage.events.userStreamEvents(requester.userId, from, to, MAX_EVENTS);
    const ownUpTo = own.length === MAX_EVENTS ? own[own.length - 1].stream_ordering! : to;
    const service = this.appservices.senderServiceId(requester);
    if (!service) return { rows: own, upTo: ownUpTo };
    const all = this.storage.events.streamEvents(from, to, MAX_EVENTS);
    // Each list may stop at its limit: keep only what both have fully covered.
    const covered = Math.min(ownUpTo, all.length === MAX_EVENTS ? all[all.length - 1].stream_ordering! : to);
    const seen = new Set(own.map((r) => r.event_id));
    const theirs = all.filter((r) => !seen.has(r.event_id) && this.appservices.isInterested(service, this.loader.fromRow(r)));
    const rows = [...own, ...theirs].filter((r) => r.stream_ordering! <= covered).sort((a, b) => a.stream_ordering! - b.stream_ordering!);
    return { rows, upTo: covered };
  }
}
