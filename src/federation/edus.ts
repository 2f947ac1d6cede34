// EDUs (federation-v1.md §6.3-6.5): typing, presence and receipts, out to the servers that share
// a room and in from them. The sync services plug in through `sink` (remote updates) and call the
// send* methods for local changes.
import type { Homeserver } from '../homeserver.js';
import { isJsonObject, serverOf, type JsonObject } from '../events/index.js';
import type { Outbound } from './outbound.js';
import type { TransactionReceiver } from './transactions.js';

export interface PresenceUpdate {
  presence: string;
  last_active_ago?: number;
  status_msg?: string | null;
  displayname?: string | null;
  avatar_url?: string | null;
}

/** What the sync services receive from other servers. */
export interface RemoteEduSink {
  setRemoteTyping?(roomId: string, userId: string, typing: boolean): void;
  setRemotePresence?(userId: string, update: PresenceUpdate): void;
  setRemoteReceipt?(roomId: string, receiptType: string, userId: string, eventIds: string[], data: JsonObject): void;
  /** Our user's current presence, to answer a peer's `poll`. */
  localPresence?(userId: string): PresenceUpdate | null;
}

export class Edus {
  sink: RemoteEduSink = {};

  constructor(private readonly hs: Homeserver, private readonly outbound: Outbound, receiver: TransactionReceiver) {
    receiver.eduHandlers.set('m.typing', (origin, c) => this.onTyping(origin, c));
    receiver.eduHandlers.set('m.presence', (origin, c) => this.onPresence(origin, c));
    receiver.eduHandlers.set('m.receipt', (origin, c) => this.onReceipt(origin, c));
  }

  private roomServers(roomId: string): Set<string> {
    return new Set(this.hs.storage.state.membersWith(roomId, 'join').map(serverOf));
  }

  /** Servers sharing at least one room with the user. */
  private sharingServers(userId: string): Set<string> {
    const out = new Set<string>();
    for (const { room_id } of this.hs.storage.state.roomsForUser(userId, ['join'])) {
      for (const s of this.roomServers(room_id)) out.add(s);
    }
    return out;
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

  sendReceipt(roomId: string, receiptType: string, userId: string, eventIds: string[], data: JsonObject): void {
    this.outbound.queueEdu(this.roomServers(roomId), {
      edu_type: 'm.receipt',
      content: { [roomId]: { [receiptType]: { [userId]: { event_ids: eventIds, data } } } },
    });
  }

  /** A server may only speak for its own users, and only in rooms they are joined to (as we see it). */
  private mayAct(origin: string, userId: unknown, roomId?: unknown): userId is string {
    if (typeof userId !== 'string' || !userId.includes(':') || serverOf(userId) !== origin) return false;
    return roomId === undefined || (typeof roomId === 'string' && this.hs.membership(roomId, userId) === 'join');
  }

  private onTyping(origin: string, c: JsonObject): void {
    if (!this.mayAct(origin, c.user_id, c.room_id)) return;
    this.sink.setRemoteTyping?.(c.room_id as string, c.user_id, c.typing === true);
  }

  private onPresence(origin: string, c: JsonObject): void {
    for (const p of Array.isArray(c.push) ? c.push : []) {
      if (!isJsonObject(p) || typeof p.presence !== 'string' || !this.mayAct(origin, p.user_id)) continue;
      const { user_id: _u, ...update } = p;
      this.sink.setRemotePresence?.(p.user_id as string, update as unknown as PresenceUpdate);
    }
    const polled = (Array.isArray(c.poll) ? c.poll : []).filter(
      (u): u is string => typeof u === 'string' && u.includes(':') && serverOf(u) === this.hs.serverName,
    );
    const push = polled.map((u) => ({ u, p: this.sink.localPresence?.(u) ?? null })).filter((x) => x.p);
    if (push.length) {
      this.outbound.queueEdu([origin], { edu_type: 'm.presence', content: { push: push.map((x) => ({ user_id: x.u, ...x.p })) } });
    }
  }

  private onReceipt(origin: string, c: JsonObject): void {
    for (const [roomId, byType] of Object.entries(c)) {
      if (!isJsonObject(byType)) continue;
      for (const [receiptType, byUser] of Object.entries(byType)) {
        if (!isJsonObject(byUser)) continue;
        for (const [userId, r] of Object.entries(byUser)) {
          if (!isJsonObject(r) || !Array.isArray(r.event_ids) || !this.mayAct(origin, userId, roomId)) continue;
          const ids = r.event_ids.filter((x): x is string => typeof x === 'string');
          this.sink.setRemoteReceipt?.(roomId, receiptType, userId, ids, isJsonObject(r.data) ? r.data : {});
        }
      }
    }
  }
}
