// GET /_matrix/client/v2_alpha/sync, as Synapse 0.12 (December 2015) answered it:
// {next_batch, presence, account_data, rooms: {join, invite, leave}}, each room with its
// timeline {events, limited, prev_batch}, state (the state at the start of the timeline that the
// client does not have yet), ephemeral (typing, receipts) and account_data (tags).
import type { Storage } from '../storage/index.js';
import type { EventLoader } from '../rooms/event-loader.js';
import type { AccountDataService } from '../accounts/account-data.js';
import type { Metrics } from '../metrics.js';
import type { Notifier } from './notifier.js';
import type { Requester } from '../accounts/auth.js';
import type { EventRow } from '../storage/events.js';
import type { StateIds } from '../storage/state.js';
import type { SyncReader } from './reader.js';
import type { EventStreamDeps } from './event-stream.js';
import type { AccountDataEvent } from '../accounts/account-data.js';
import { splitStateKey, stateKey, type JsonObject } from '../events/index.js';
import { allows, allowsRoom, timelineLimit, type EventFilter, type SyncFilter } from '../accounts/filters.js';
import { formatStreamToken, formatTopologicalToken, type StreamToken } from './tokens.js';
import { longPoll } from './long-poll.js';

/** Rows read per page, and at most, while looking for `limit` events that pass the filter. */
const SCAN_PAGE = 100;
const SCAN_MAX = 1000;
/** State a user sees of a room they are invited to (Synapse's invite_room_state). */
const INVITE_STATE_TYPES = ['m.room.join_rules', 'm.room.canonical_alias', 'm.room.avatar', 'm.room.name'];

export interface SyncRequest {
  since: StreamToken | null;
  fullState: boolean;
  timeoutMs: number;
  setPresence: string;
  filter: SyncFilter;
}

interface Timeline {
  rows: EventRow[];
  /** Whether the window held any event at all, filtered out or not. */
  activity: boolean;
  limited: boolean;
  prevBatch: string;
}

type Section = { events: JsonObject[] };

export class V2Sync {
  private readonly storage: Storage;
  private readonly loader: EventLoader;
  private readonly notifier: Notifier;
  private readonly metrics: Metrics;
  private readonly accountData: AccountDataService;

  constructor(deps: Omit<EventStreamDeps, 'appservices'>, private readonly streams: SyncReader) {
    ({ storage: this.storage, loader: this.loader, notifier: this.notifier, metrics: this.metrics, accountData: this.accountData } = deps);
  }

  async sync(requester: Requester, req: SyncRequest, signal: AbortSignal): Promise<JsonObject> {
    const { userId } = requester;
    if (req.setPresence !== 'offline') this.streams.presence.markActive(userId);
    // A client that syncs as offline and has no presence yet is offline, not unknown.
    else if (!this.storage.presence.get(userId)) this.streams.presence.setStatus(userId, userId, { presence: 'offline' });
    this.metrics.longPolls.inc();
    try {
      // A first or full-state sync answers at once.
      const timeoutMs = req.since === null || req.fullState ? 0 : req.timeoutMs;
      return await longPoll({ notifier: this.notifier, userId }, timeoutMs, signal, () => {
        const body = this.compute(requester, req, this.streams.currentToken());
        return { value: body, ready: !isEmpty(body) };
      });
    } finally {
      this.metrics.longPolls.dec();
      if (req.setPresence !== 'offline') this.streams.presence.touch(userId);
    }
  }

  private compute(requester: Requester, req: SyncRequest, now: StreamToken): JsonObject {
    const { userId } = requester;
    const { filter, since } = req;
    const full = since === null || req.fullState;
    const presence = full ? this.streams.presence.snapshot(userId) : this.streams.presence.eventsBetween(userId, since.presence, now.presence);
    const accountData = full
      ? { global: this.accountData.globalEvents(userId), rooms: this.accountData.allRoomEvents(userId) }
      : this.accountData.changes(userId, since.accountData, now.accountData);
    const join: JsonObject = Object.create(null);
    const invite: JsonObject = Object.create(null);
    const leave: JsonObject = Object.create(null);
    const forgotten = this.storage.rooms.forgottenRooms(userId);
    const rooms = this.storage.state.roomsForUser(userId, ['join', 'invite', 'leave', 'ban']);
    // Membership changes in the window: which rooms were joined, left or invited since `since`.
    const changed = new Map<string, EventRow[]>();
    if (since) {
      for (const row of this.storage.events.membershipChanges(userId, since.room, now.room)) {
        changed.set(row.room_id, [...(changed.get(row.room_id) ?? []), row]);
      }
    }
    for (const { room_id: roomId, membership } of rooms) {
      if (forgotten.has(roomId) || !allowsRoom(filter, roomId)) continue;
      const changes = changed.get(roomId);
      if (!full && !changes && membership !== 'join') continue;
      // Not joined at `since` (or no `since`): the client knows nothing of this room yet.
      const fresh = !since || (changes !== undefined && this.membershipBefore(changes[0], userId) !== 'join');
      const roomData = accountData.rooms.get(roomId) ?? [];
      if (membership === 'join') {
        const room = this.joinedRoom(requester, req, roomId, now, fresh, roomData);
        if (room) join[roomId] = room;
      } else if (membership === 'invite') {
        invite[roomId] = this.invitedRoom(roomId, userId);
      } else {
        const leaveRow = this.membershipRow(roomId, userId);
        if (!leaveRow || leaveRow.stream_ordering === null) continue;
        // Rooms the user left themselves stay out of an initial sync unless the filter asks (include_leave).
        if (full && !changes && !filter.includeLeave && membership === 'leave' && leaveRow.sender === userId) continue;
        leave[roomId] = this.leftRoom(requester, req, roomId, leaveRow, fresh || req.fullState, roomData);
      }
    }
    return {
      next_batch: formatStreamToken(now),
      presence: { events: presence.map(formatPresence).filter((e) => allows(filter.presence, e)) },
      account_data: { events: accountData.global.filter((e) => allows(filter.accountData, e)) },
      rooms: { join, invite, leave },
    };
  }

  private joinedRoom(requester: Requester, req: SyncRequest, roomId: string, now: StreamToken, fresh: boolean, roomData: AccountDataEvent[]): JsonObject | null {
    const { userId } = requester;
    const { filter, since } = req;
    const timelineFrom = fresh || !since ? null : since.room;
    const timeline = this.timeline(userId, roomId, filter.timeline, timelineLimit(filter), timelineFrom, now.room, fresh && since !== null);
    const current = this.storage.state.currentState(roomId);
    const previous = fresh || req.fullState || !since ? new Map<string, string>() : this.stateAt(roomId, since.room);
    const state = this.stateDelta(timeline.rows, current, previous).filter((e) => allows(filter.state, e));
    const full = !since || req.fullState || fresh;
    const typing = full
      ? (this.streams.typing.typingIn(roomId).length > 0 ? [{ type: 'm.typing', content: { user_ids: this.streams.typing.typingIn(roomId) } }] : [])
      : this.streams.typing.eventsSince(since.typing, [roomId]).map((e) => ({ type: e.type, content: e.content }));
    const receipts = full
      ? this.streams.receipts.snapshot([roomId])
      : since.receipt < now.receipt ? this.streams.receipts.eventsBetween(new Set([roomId]), since.receipt, now.receipt) : [];
    const ephemeral = [...typing, ...receipts.map((e) => ({ type: e.type, content: e.content }))].filter((e) => allows(filter.ephemeral, e));
    const account = roomData.filter((e) => allows(filter.roomAccountData, e));
    const room = {
      timeline: this.timelineSection(requester, timeline),
      state: { events: state.map((row) => this.format(requester, row)) } as Section,
      ephemeral: { events: ephemeral } as Section,
      account_data: { events: account },
    };
    // A room with new events shows up even when the filter hid them all (the client learns of activity).
    const changed = timeline.activity || room.state.events.length + ephemeral.length + account.length > 0;
    return full || changed ? room : null;
  }

  private leftRoom(requester: Requester, req: SyncRequest, roomId: string, leaveRow: EventRow, fresh: boolean, roomData: AccountDataEvent[]): JsonObject {
    const { userId } = requester;
    const { filter, since } = req;
    const end = leaveRow.stream_ordering!;
    const timeline = this.timeline(userId, roomId, filter.timeline, timelineLimit(filter), fresh || !since ? null : since.room, end, false);
    const atLeave = leaveRow.state_group !== null ? this.storage.state.getGroup(leaveRow.state_group) : new Map<string, string>();
    const previous = fresh || !since ? new Map<string, string>() : this.stateAt(roomId, since.room);
    const state = this.stateDelta(timeline.rows, atLeave, previous).filter((e) => allows(filter.state, e));
    return {
      timeline: this.timelineSection(requester, timeline),
      state: { events: state.map((row) => this.format(requester, row)) },
      ephemeral: { events: [] },
      account_data: { events: roomData.filter((e) => allows(filter.roomAccountData, e)) },
    };
  }

  private invitedRoom(roomId: string, userId: string): JsonObject {
    const events: JsonObject[] = [];
    const current = this.storage.state.currentState(roomId);
    for (const type of INVITE_STATE_TYPES) {
      const id = current.get(stateKey(type, ''));
      const ev = id ? this.streams.events.formatId(id) : undefined;
      if (ev) events.push({ type: ev.type, state_key: ev.state_key, content: ev.content, sender: ev.sender });
    }
    const id = current.get(stateKey('m.room.member', userId));
    const invite = id ? this.streams.events.formatId(id) : undefined;
    if (invite) events.push(toV2(invite, undefined));
    return { invite_state: { events } };
  }

  /**
   * The newest `limit` events of the room in (from, to] that pass the filter and that the user
   * may see, oldest first. `limited` says that more passed than were returned (always, for a
   * newly joined room, as Synapse did).
   */
  private timeline(userId: string, roomId: string, f: EventFilter, limit: number, from: number | null, to: number, alwaysLimited: boolean): Timeline {
    const lower = from ?? Number.MIN_SAFE_INTEGER;
    const picked: EventRow[] = [];
    let cursor = to;
    let scanned = 0;
    let more = false;
    while (scanned < SCAN_MAX) {
      const page = this.storage.events.roomEventsNewestFirst(roomId, lower, cursor, SCAN_PAGE);
      for (const row of page) {
        if (allows(f, row) && this.streams.visibility.visible(userId, row)) {
          if (picked.length === limit) {
            more = true;
            break;
          }
          picked.push(row);
        }
      }
      scanned += page.length;
      if (more || page.length < SCAN_PAGE) break;
      cursor = page[page.length - 1].stream_ordering!;
    }
    if (scanned >= SCAN_MAX) more = true;
    const rows = picked.reverse();
    const oldest = rows[0];
    const prevBatch = oldest
      ? formatTopologicalToken({ depth: oldest.depth, stream: oldest.stream_ordering! })
      : formatStreamToken({ ...this.streams.currentToken(), room: to });
    return { rows, activity: scanned > 0, limited: more || alwaysLimited, prevBatch };
  }

  private timelineSection(requester: Requester, t: Timeline): { events: JsonObject[]; limited: boolean; prev_batch: string } {
    return { events: t.rows.map((r) => this.format(requester, r)), limited: t.limited, prev_batch: t.prevBatch };
  }

  /** The room's state after the newest event at or before a stream position. */
  private stateAt(roomId: string, stream: number): StateIds {
    const row = this.storage.events.latestEventAt(roomId, stream);
    return row && row.state_group !== null ? this.storage.state.getGroup(row.state_group) : new Map();
  }

  /**
   * State the client needs before the timeline: the state at the start of the timeline (or, for
   * keys the timeline does not change, the state at its end), minus what the client already had
   * at `since` (`previous`) and minus what the timeline itself carries.
   */
  private stateDelta(timeline: EventRow[], end: StateIds, previous: StateIds): EventRow[] {
    const inTimeline = new Set(timeline.map((r) => r.event_id));
    const first = timeline[0];
    const start = first && first.state_group_before !== null ? this.storage.state.getGroup(first.state_group_before) : end;
    const previousIds = new Set(previous.values());
    const out: EventRow[] = [];
    for (const k of new Set([...start.keys(), ...end.keys()])) {
      const atEnd = end.get(k);
      const id = atEnd !== undefined && !inTimeline.has(atEnd) ? atEnd : start.get(k);
      if (id === undefined || previousIds.has(id) || inTimeline.has(id)) continue;
      const row = this.storage.events.getEvent(id);
      if (row && splitStateKey(k)[0] === row.type) out.push(row);
    }
    return out.sort((a, b) => (a.stream_ordering ?? 0) - (b.stream_ordering ?? 0));
  }

  private membershipRow(roomId: string, userId: string): EventRow | undefined {
    const id = this.storage.state.currentStateEventId(roomId, 'm.room.member', userId);
    return id ? this.storage.events.getEvent(id) : undefined;
  }

  /** The user's membership just before a membership event of theirs. */
  private membershipBefore(row: EventRow, userId: string): string | null {
    if (row.state_group_before === null) return null;
    const id = this.storage.state.getGroup(row.state_group_before).get(stateKey('m.room.member', userId));
    const content = id ? this.loader.pdu(id)?.content : undefined;
    return typeof content?.membership === 'string' ? content.membership : null;
  }

  private format(requester: Requester, row: EventRow): JsonObject {
    const txn = row.sender === requester.userId ? this.storage.accountData.txnOf(row.event_id) : undefined;
    return toV2(this.streams.events.format(row), txn && txn.token_hash === requester.tokenHash ? txn.txn_id : undefined);
  }
}

/** v1 client event -> v2: no room_id or user_id; age, prev_content and the like move to unsigned. */
export function toV2(ev: JsonObject, transactionId: string | undefined): JsonObject {
  const { room_id: _r, user_id: _u, age, prev_content, prev_sender, replaces_state, redacted_because, unsigned: _un, ...rest } = ev;
  const unsigned: JsonObject = {};
  if (age !== undefined) unsigned.age = age;
  if (prev_content !== undefined) unsigned.prev_content = prev_content;
  if (prev_sender !== undefined) unsigned.prev_sender = prev_sender;
  if (replaces_state !== undefined) unsigned.replaces_state = replaces_state;
  if (redacted_because !== undefined) unsigned.redacted_because = redacted_because;
  if (transactionId !== undefined) unsigned.transaction_id = transactionId;
  return { ...rest, unsigned };
}

/** v1 presence event -> v2: the user id moves from content.user_id to sender. */
function formatPresence(ev: { type: string; content: JsonObject }): JsonObject & { type: string; sender: string } {
  const { user_id, ...content } = ev.content;
  return { type: ev.type, sender: String(user_id), content };
}

function isEmpty(body: JsonObject): boolean {
  const rooms = body.rooms as Record<string, JsonObject>;
  return (body.presence as Section).events.length === 0 && (body.account_data as Section).events.length === 0 &&
    Object.keys(rooms.join).length === 0 && Object.keys(rooms.invite).length === 0 && Object.keys(rooms.leave).length === 0;
}
