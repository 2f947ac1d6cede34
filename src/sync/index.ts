// The read side of the client API: streams, initialSync, history and room state.
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { RoomService } from '../rooms/room-service.js';
import type { RemoteRooms } from '../rooms/ports.js';
import type { AfterCommitListener } from '../rooms/persist.js';
import type { EventStreamDeps } from './event-stream.js';
import type { SyncReader } from './reader.js';
import { splitStateKey, stateKey, type JsonObject } from '../events/index.js';
import type { EventRow } from '../storage/events.js';
import type { StateIds } from '../storage/state.js';
import { forbidden, notFound } from '../errors.js';
import type { ClientEvents } from './client-events.js';
import type { HistoryVisibility } from './visibility.js';
import type { TypingService } from './typing.js';
import type { PresenceService } from './presence.js';
import type { ReceiptService } from './receipts.js';
import { EventStream } from './event-stream.js';
import { Pagination } from './pagination.js';
import { V2Sync } from './v2-sync.js';
import { formatStreamToken, type StreamToken } from './tokens.js';

interface RoomView {
  state: StateIds;
  /** The user's leave event when they are no longer in the room. */
  leave: EventRow | null;
  /** Not in the room, reading it because it is world_readable. */
  peeking: boolean;
}

export interface SyncDeps extends EventStreamDeps {
  log: Logger;
  rooms: Pick<RoomService, 'requireRoom'>;
  /** Older events from other servers for /messages (noRemoteRooms: none). */
  remote: Pick<RemoteRooms, 'backfill'>;
  /** The client-event formatter, shared with application services. */
  events: ClientEvents;
  visibility: HistoryVisibility;
  /** Built before the persister (presence listens to it), like typing and receipts. */
  typing: TypingService;
  presence: PresenceService;
  receipts: ReceiptService;
}

export class SyncService implements SyncReader {
  readonly events: ClientEvents;
  readonly visibility: HistoryVisibility;
  readonly typing: TypingService;
  readonly presence: PresenceService;
  readonly receipts: ReceiptService;
  readonly stream: EventStream;
  readonly pagination: Pagination;
  /** GET /v2_alpha/sync */
  readonly v2: V2Sync;

  private readonly storage: Storage;
  private readonly rooms: Pick<RoomService, 'requireRoom'>;
  private readonly accountData: SyncDeps['accountData'];

  constructor(deps: SyncDeps) {
    ({ storage: this.storage, rooms: this.rooms, accountData: this.accountData } = deps);
    ({ events: this.events, visibility: this.visibility, typing: this.typing, presence: this.presence, receipts: this.receipts } = deps);
    this.stream = new EventStream(deps, this);
    this.pagination = new Pagination(deps.storage, deps.remote, deps.log, this);
    this.v2 = new V2Sync(deps, this);
  }

  /** Stops the timers (typing timeouts, the presence sweeper). */
  close(): void {
    this.typing.close();
    this.presence.close();
  }

  currentToken(): StreamToken {
    return {
      room: this.storage.events.currentStreamOrdering(),
      presence: this.presence.currentStreamId(),
      typing: this.typing.currentSerial(),
      receipt: this.receipts.currentStreamId(),
      accountData: this.storage.accountData.currentStreamId(),
    };
  }

  /**
   * For /messages: throws unless the user may read the room (joined; left and not forgotten:
   * SPEC-216, as Synapse 0.12; or the room is world_readable). `leave` is their leave event,
   * past which they may not read; `peeking` says they read from outside (world_readable).
   */
  readAccess(userId: string, roomId: string): { leave: EventRow | null; peeking: boolean } {
    const view = this.readable(userId, roomId);
    return { leave: view.leave, peeking: view.peeking };
  }

  requireMember(userId: string, roomId: string): void {
    this.rooms.requireRoom(roomId);
    if (this.storage.state.membershipOf(roomId, userId) !== 'join') throw forbidden(`You are not in room ${roomId}`);
  }

  /** GET /initialSync */
  initialSync(userId: string, limit: number, archived: boolean): JsonObject {
    const token = formatStreamToken(this.currentToken());
    const memberships = archived ? ['join', 'invite', 'leave', 'ban'] : ['join', 'invite'];
    const forgotten = this.storage.rooms.forgottenRooms(userId);
    const views = this.storage.state
      .roomsForUser(userId, memberships)
      .filter((r) => !forgotten.has(r.room_id))
      .map(({ room_id, membership }) => ({ room_id, membership, view: this.summaryView(userId, room_id, membership) }));
    // The state events of every room in a few batched reads, not one query per event.
    const rows = this.storage.eventReads.getEvents(views.flatMap(({ view }) => (view ? [...view.state.values()] : [])));
    this.events.prefetch([...rows.values()], rows);
    const rooms = views.map(({ room_id, membership, view }) => this.roomSummary(userId, room_id, membership, limit, view, rows));
    const joined = this.storage.state.roomsForUser(userId, ['join']).map((r) => r.room_id);
    return {
      end: token,
      account_data: this.accountData.globalEvents(userId) as unknown as JsonObject[],
      presence: this.presence.snapshot(userId),
      receipts: this.receipts.snapshot(joined),
      rooms,
    };
  }

  /**
   * The room as the user may read it: the current state while joined; after leaving (v0.11),
   * the state as it was at the leave and the timeline up to it, unless the room was forgotten.
   */
  private viewOf(userId: string, roomId: string): RoomView | null {
    const membership = this.storage.state.membershipOf(roomId, userId);
    if (membership === 'join') return { state: this.storage.state.currentState(roomId), leave: null, peeking: false };
    if (membership !== 'leave' || this.storage.rooms.forgottenRooms(userId).has(roomId)) return null;
    const id = this.storage.state.currentStateEventId(roomId, 'm.room.member', userId);
    const row = id ? this.storage.events.getEvent(id) : undefined;
    return row && row.state_group !== null ? { state: this.storage.state.getGroup(row.state_group), leave: row, peeking: false } : null;
  }

  private readable(userId: string, roomId: string): RoomView {
    this.rooms.requireRoom(roomId);
    const view = this.viewOf(userId, roomId);
    if (view) return view;
    // Anyone, guests included, may read a world_readable room (Synapse 0.12).
    if (this.visibility.worldReadable(roomId)) return { state: this.storage.state.currentState(roomId), leave: null, peeking: true };
    throw forbidden(`You are not in room ${roomId}`);
  }

  /** GET /rooms/{roomId}/initialSync */
  roomInitialSync(userId: string, roomId: string, limit: number): JsonObject {
    const view = this.readable(userId, roomId);
    const summary = view.peeking ? this.peekSummary(userId, roomId, view.state, limit) : this.roomSummary(userId, roomId, view.leave ? 'leave' : 'join', limit);
    if (view.leave) return { ...summary, presence: [], receipts: [] }; // nothing live after leaving (SPEC-216)
    const members = this.storage.state.membersWith(roomId, 'join');
    const presence = members.map((u) => this.storage.presence.get(u)).filter((r) => r !== undefined).map((r) => this.presence.toEvent(r));
    return { ...summary, presence, receipts: this.receipts.snapshot([roomId]) };
  }

  private summaryView(userId: string, roomId: string, membership: string): RoomView | null {
    return membership === 'join' || membership === 'leave' ? this.viewOf(userId, roomId) : null;
  }

  /** `view` and `rows` (rows already read) when the caller has them (initialSync over many rooms). */
  private roomSummary(
    userId: string, roomId: string, membership: string, limit: number,
    view = this.summaryView(userId, roomId, membership), rows: Map<string, EventRow> = new Map(),
  ): JsonObject {
    const visibility = this.storage.rooms.getRoom(roomId)?.is_public ? 'public' : 'private';
    const out: JsonObject = { room_id: roomId, membership, visibility };
    // Tags and other room account data (v2_alpha), as Synapse 0.12's initialSync showed them.
    out.account_data = this.accountData.roomEvents(userId, roomId) as unknown as JsonObject[];
    if (view) {
      out.messages = this.pagination.latest(userId, roomId, limit, view.leave);
      out.state = this.formatState(view.state, rows);
    } else if (membership === 'invite') {
      const id = this.storage.state.currentStateEventId(roomId, 'm.room.member', userId);
      const ev = id ? this.events.formatId(id) : undefined;
      if (ev) {
        out.inviter = ev.sender;
        out.invite = ev;
      }
    }
    return out;
  }

  /** A world_readable room seen from outside: its world_readable history and current state. */
  private peekSummary(userId: string, roomId: string, state: StateIds, limit: number): JsonObject {
    const visibility = this.storage.rooms.getRoom(roomId)?.is_public ? 'public' : 'private';
    return {
      room_id: roomId, visibility, account_data: [],
      messages: this.pagination.latest(userId, roomId, limit, null, true),
      state: this.formatState(state),
    };
  }

  /**
   * Who may read a room's history: members (false), or anyone if it is world_readable (true:
   * peeking, shown only world_readable events). Everyone else gets 403.
   */
  historyAccess(userId: string, roomId: string): boolean {
    this.rooms.requireRoom(roomId);
    if (this.storage.state.membershipOf(roomId, userId) === 'join') return false;
    if (this.visibility.worldReadable(roomId)) return true;
    throw forbidden(`You are not in room ${roomId}`);
  }

  /** GET /rooms/{roomId}/state: the state as client events. */
  roomState(userId: string, roomId: string): JsonObject[] {
    return this.formatState(this.readable(userId, roomId).state);
  }

  private formatState(state: StateIds, rows?: Map<string, EventRow>): JsonObject[] {
    return this.events.formatIds(state.values(), rows);
  }

  /** GET /rooms/{roomId}/state/{type}/{stateKey}: the content only. */
  stateContent(userId: string, roomId: string, type: string, sk: string): JsonObject {
    const id = this.readable(userId, roomId).state.get(stateKey(type, sk));
    const ev = id ? this.events.formatId(id) : undefined;
    if (!ev) throw notFound('Event not found.');
    return ev.content as JsonObject;
  }

  /** GET /rooms/{roomId}/members: member events of every membership. */
  members(userId: string, roomId: string): JsonObject {
    const chunk: JsonObject[] = [];
    for (const [k, id] of this.readable(userId, roomId).state) {
      if (splitStateKey(k)[0] !== 'm.room.member') continue;
      const ev = this.events.formatId(id);
      if (ev) chunk.push(ev);
    }
    return { chunk, start: 'START', end: 'END' };
  }

  /** GET /events/{eventId} */
  eventById(userId: string, eventId: string): JsonObject {
    const row = this.storage.events.getEvent(eventId);
    if (!row || row.outlier || row.rejected_reason) throw notFound('Event not found.');
    const peeking = this.historyAccess(userId, row.room_id);
    if (!(peeking ? this.visibility.visibleToPeeker(row) : this.visibility.visible(userId, row))) throw forbidden('You may not see this event');
    return this.events.format(row);
  }
}

/** Persister listener: a join re-announces presence (Synapse 0.12's user_joined_room). */
export function presenceOnJoin(presence: PresenceService): AfterCommitListener {
  return ({ pdu, outlier, backfilled, rejected }) => {
    if (pdu.type !== 'm.room.member' || outlier || backfilled || rejected || typeof pdu.state_key !== 'string') return;
    if ((pdu.content as JsonObject).membership !== 'join') return;
    presence.joinedRoom(pdu.state_key, pdu.room_id);
  };
}

export { ClientEvents } from './client-events.js';
export { HistoryVisibility } from './visibility.js';
export { TypingService } from './typing.js';
export { PresenceService } from './presence.js';
export { ReceiptService } from './receipts.js';
