// EDUs (federation-v1.md §6.3-6.5): typing, presence and receipts, out to the servers that share
// a room (FederationEdus, the sync services' EduSender) and in from them (EduReceiver, which hands
// remote updates to the sync services through a RemoteEduSink).
import type { Storage } from '../storage/index.js';
import type { EduSender, PresenceUpdate } from '../sync/ports.js';
import { isJsonObject, isValidEventId, isValidRoomId, isValidUserId, serverOf, type JsonObject } from '../events/index.js';
import { MAX_AVATAR_URL_LENGTH, MAX_DISPLAYNAME_LENGTH, MAX_STATUS_MSG_LENGTH, isWithin } from '../accounts/text-limits.js';
import type { Outbound } from './outbound.js';
import type { EduHandler } from './transactions.js';

export type { PresenceUpdate } from '../sync/ports.js';

/** What the sync services receive from other servers. */
export interface RemoteEduSink {
  setRemoteTyping(roomId: string, userId: string, typing: boolean): void;
  setRemotePresence(userId: string, update: PresenceUpdate): void;
  setRemoteReceipt(roomId: string, receiptType: string, userId: string, eventIds: string[], data: JsonObject): void;
  /** Our user's current presence, to answer a peer's `poll`. */
  localPresence(userId: string): PresenceUpdate | null;
}

function roomServers(storage: Storage, roomId: string): Set<string> {
  return new Set(storage.state.joinedServers(roomId));
}

/** Servers sharing at least one room with the user. */
function sharingServers(storage: Storage, userId: string): Set<string> {
  const out = new Set<string>();
  for (const { room_id } of storage.state.roomsForUser(userId, ['join'])) {
    for (const s of roomServers(storage, room_id)) out.add(s);
  }
  return out;
}

/** Local typing, presence and receipts out to the servers concerned. */
export class FederationEdus implements EduSender {
  constructor(private readonly storage: Storage, private readonly outbound: Outbound) {}

  private roomServers(roomId: string): Set<string> {
    return roomServers(this.storage, roomId);
  }

  private sharingServers(userId: string): Set<string> {
    return sharingServers(this.storage, userId);
  }

  sendTyping(roomId: string, userId: string, typing: boolean): void {
    this.outbound.queueEdu(this.roomServers(roomId), { edu_type: 'm.typing', content: { room_id: roomId, user_id: userId, typing } });
  }

  sendPresence(userId: string, update: PresenceUpdate): void {
    this.outbound.queueEdu(this.sharingServers(userId), { edu_type: 'm.presence', content: { push: [{ user_id: userId, ...update }] } });
  }

  /** Presence of several local users to one server (one of its users joined a room with them). */
  sendPresenceTo(destination: string, pushes: (PresenceUpdate & { user_id: string })[]): void {
    if (pushes.length > 0) this.outbound.queueEdu([destination], { edu_type: 'm.presence', content: { push: pushes } });
  }

  /** Asks one server for the presence of some of its users (answered with a push). */
  pollPresence(destination: string, userIds: string[]): void {
    if (userIds.length > 0) this.outbound.queueEdu([destination], { edu_type: 'm.presence', content: { poll: userIds } });
  }

  sendReceipt(roomId: string, receiptType: string, userId: string, eventIds: string[], data: JsonObject): void {
    this.outbound.queueEdu(this.roomServers(roomId), {
      edu_type: 'm.receipt',
      content: { [roomId]: { [receiptType]: { [userId]: { event_ids: eventIds, data } } } },
    });
  }

}

/** Typing, presence and receipts from other servers, checked, then handed to the sync services. */
export class EduReceiver {
  /** By EDU type, for the transaction receiver. */
  readonly handlers: ReadonlyMap<string, EduHandler>;

  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly outbound: Outbound,
    private readonly sink: RemoteEduSink,
  ) {
    this.handlers = new Map<string, EduHandler>([
      ['m.typing', (origin, c) => this.onTyping(origin, c)],
      ['m.presence', (origin, c) => this.onPresence(origin, c)],
      ['m.receipt', (origin, c) => this.onReceipt(origin, c)],
    ]);
  }

  private sharingServers(userId: string): Set<string> {
    return sharingServers(this.storage, userId);
  }

  /** A server may only speak for its own users, and only in rooms they are joined to (as we see it). */
  private mayAct(origin: string, userId: unknown, roomId?: unknown): userId is string {
    if (!isValidUserId(userId) || serverOf(userId) !== origin) return false;
    return roomId === undefined || (isValidRoomId(roomId) && this.storage.state.membershipOf(roomId, userId) === 'join');
  }

  private onTyping(origin: string, c: JsonObject): void {
    if (!this.mayAct(origin, c.user_id, c.room_id)) return;
    this.sink.setRemoteTyping(c.room_id as string, c.user_id, c.typing === true);
  }

  private onPresence(origin: string, c: JsonObject): void {
    for (const p of (Array.isArray(c.push) ? c.push : []).slice(0, MAX_EDU_ENTRIES)) {
      if (!isJsonObject(p) || !this.mayAct(origin, p.user_id)) continue;
      // As Synapse 0.10: only users someone here can see (a shared room), so a peer cannot fill our tables.
      if (this.storage.state.roomsForUser(p.user_id, ['join']).length === 0) continue;
      const update = presenceUpdate(p);
      if (update) this.sink.setRemotePresence(p.user_id as string, update);
    }
    // A peer learns the presence of our users only where its users see it anyway: a shared room
    // (presence lists are accepted between local users only).
    const polled = (Array.isArray(c.poll) ? c.poll : []).slice(0, MAX_EDU_ENTRIES).filter(
      (u): u is string => isValidUserId(u) && serverOf(u) === this.serverName && this.sharingServers(u).has(origin),
    );
    const push = polled.map((u) => ({ u, p: this.sink.localPresence(u) })).filter((x) => x.p);
    if (push.length) {
      this.outbound.queueEdu([origin], { edu_type: 'm.presence', content: { push: push.map((x) => ({ user_id: x.u, ...x.p })) } });
    }
  }

  /** Room ids, receipt types and user ids are keys chosen by the peer: they stay data (never object keys of ours). */
  private onReceipt(origin: string, c: JsonObject): void {
    for (const [roomId, byType] of Object.entries(c).slice(0, MAX_EDU_ENTRIES)) {
      if (!isJsonObject(byType)) continue;
      for (const [receiptType, byUser] of Object.entries(byType).slice(0, MAX_EDU_ENTRIES)) {
        if (!isJsonObject(byUser) || receiptType.length === 0 || receiptType.length > MAX_RECEIPT_TYPE_LENGTH) continue;
        for (const [userId, r] of Object.entries(byUser).slice(0, MAX_EDU_ENTRIES)) {
          if (!isJsonObject(r) || !Array.isArray(r.event_ids) || !this.mayAct(origin, userId, roomId)) continue;
          const ids = r.event_ids.slice(0, MAX_EDU_ENTRIES).filter(isValidEventId);
          this.sink.setRemoteReceipt(roomId, receiptType, userId, ids, isJsonObject(r.data) ? r.data : {});
        }
      }
    }
  }
}

/** Entries read from one list or map of an EDU; the rest is ignored. */
const MAX_EDU_ENTRIES = 100;
const MAX_RECEIPT_TYPE_LENGTH = 255;
const PRESENCE_STATES = new Set(['online', 'unavailable', 'offline', 'free_for_chat']);

/** The fields of a pushed presence entry we keep, each checked; null when the entry is malformed. */
function presenceUpdate(p: JsonObject): PresenceUpdate | null {
  if (typeof p.presence !== 'string' || !PRESENCE_STATES.has(p.presence)) return null;
  const update: PresenceUpdate = { presence: p.presence };
  if (p.last_active_ago !== undefined) {
    if (!Number.isSafeInteger(p.last_active_ago) || (p.last_active_ago as number) < 0) return null;
    update.last_active_ago = p.last_active_ago as number;
  }
  const text = (v: unknown, max: number): string | null | undefined | false =>
    v === undefined || v === null ? (v as null | undefined) : typeof v === 'string' && isWithin(v, max) ? v : false;
  const statusMsg = text(p.status_msg, MAX_STATUS_MSG_LENGTH);
  const displayname = text(p.displayname, MAX_DISPLAYNAME_LENGTH);
  const avatarUrl = text(p.avatar_url, MAX_AVATAR_URL_LENGTH);
  if (statusMsg === false || displayname === false || avatarUrl === false) return null;
  if (statusMsg !== undefined) update.status_msg = statusMsg;
  if (displayname !== undefined) update.displayname = displayname;
  if (avatarUrl !== undefined) update.avatar_url = avatarUrl;
  return update;
}
