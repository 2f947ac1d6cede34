import type { Homeserver } from '../homeserver.js';
import type { ReceiptRow } from '../storage/receipts.js';
import type { JsonObject } from '../events/index.js';
import { forbidden, notFound } from '../errors.js';

export interface ReceiptEvent {
  type: 'm.receipt';
  room_id: string;
  content: JsonObject;
}

/** Read receipts (v2_alpha in this era), persisted with a stream id. */
export class ReceiptService {
  constructor(private readonly hs: Homeserver) {}

  currentStreamId(): number {
    return this.hs.storage.receipts.currentStreamId();
  }

  /** POST /_matrix/client/v2_alpha/rooms/{roomId}/receipt/m.read/{eventId} */
  setLocal(userId: string, roomId: string, type: string, eventId: string): void {
    if (this.hs.storage.state.membershipOf(roomId, userId) !== 'join') throw forbidden('You are not in this room');
    const ev = this.hs.storage.events.getEvent(eventId);
    if (!ev || ev.room_id !== roomId) throw notFound('Unknown event');
    const ts = this.hs.clock();
    this.store(roomId, type, userId, eventId, ts);
    this.hs.federation?.edus.sendReceipt(roomId, type, userId, [eventId], { ts });
  }

  setRemote(roomId: string, type: string, userId: string, eventIds: string[], data: JsonObject): void {
    if (eventIds.length === 0) return;
    this.store(roomId, type, userId, eventIds[eventIds.length - 1], typeof data.ts === 'number' ? data.ts : this.hs.clock());
  }

  private store(roomId: string, type: string, userId: string, eventId: string, ts: number): void {
    // Receipts only move forwards, as in Synapse 0.12 (SyTest 21receipts): one for an event
    // older than the current receipt's is ignored.
    const current = this.hs.storage.receipts.roomReceipts(roomId).find((r) => r.receipt_type === type && r.user_id === userId);
    if (current && current.event_id !== eventId) {
      const was = this.hs.storage.events.getEvent(current.event_id)?.stream_ordering;
      const now = this.hs.storage.events.getEvent(eventId)?.stream_ordering;
      if (was != null && now != null && now < was) return;
    }
    this.hs.storage.receipts.set(roomId, type, userId, eventId, ts);
    this.hs.notifier.notifyUsers(this.hs.storage.state.membersWith(roomId, 'join'));
  }

  eventsBetween(roomIds: Set<string>, fromExclusive: number, toInclusive: number): ReceiptEvent[] {
    return toEvents(this.hs.storage.receipts.changedBetween(fromExclusive, toInclusive).filter((r) => roomIds.has(r.room_id)));
  }

  snapshot(roomIds: Iterable<string>): ReceiptEvent[] {
    return toEvents([...roomIds].flatMap((r) => this.hs.storage.receipts.roomReceipts(r)));
  }
}

/** One m.receipt event per room: {"$event": {"m.read": {"@user": {"ts": ...}}}}. */
function toEvents(rows: ReceiptRow[]): ReceiptEvent[] {
  const byRoom = new Map<string, JsonObject>();
  for (const r of rows) {
    const content = byRoom.get(r.room_id) ?? {};
    const forEvent = (content[r.event_id] ??= {}) as JsonObject;
    const forType = (forEvent[r.receipt_type] ??= {}) as JsonObject;
    forType[r.user_id] = { ts: r.ts };
    byRoom.set(r.room_id, content);
  }
  return [...byRoom].map(([room_id, content]) => ({ type: 'm.receipt', room_id, content }));
}
