import type { Storage } from '../storage/index.js';
import type { Notifier } from './notifier.js';
import type { EduSender } from './ports.js';
import type { ReceiptRow } from '../storage/receipts.js';
import type { JsonObject } from '../events/index.js';
import { MatrixError, forbidden, notFound } from '../errors.js';

export interface ReceiptEvent {
  type: 'm.receipt';
  room_id: string;
  content: JsonObject;
}

/** The only receipt type clients may send, as in Synapse 0.10 (v2_alpha receipts). */
export const CLIENT_RECEIPT_TYPES = new Set(['m.read']);

/** Receipt types a remote user may have in one room (rows a peer can make us store). */
const MAX_REMOTE_RECEIPT_TYPES = 8;

/** Read receipts (v2_alpha in this era), persisted with a stream id. */
export class ReceiptService {
  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
    private readonly notifier: Notifier,
    /** Receipts out to other servers (noEduSender when federation is off). */
    private readonly edus: EduSender,
  ) {}

  currentStreamId(): number {
    return this.storage.receipts.currentStreamId();
  }

  /** POST /_matrix/client/v2_alpha/rooms/{roomId}/receipt/m.read/{eventId} */
  setLocal(userId: string, roomId: string, type: string, eventId: string): void {
    if (!CLIENT_RECEIPT_TYPES.has(type)) throw new MatrixError(400, 'M_INVALID_PARAM', "Receipt type must be 'm.read'");
    if (this.storage.state.membershipOf(roomId, userId) !== 'join') throw forbidden('You are not in this room');
    const ev = this.storage.events.getEvent(eventId);
    if (!ev || ev.room_id !== roomId) throw notFound('Unknown event');
    const ts = this.clock();
    this.store(roomId, type, userId, eventId, ts);
    this.edus.sendReceipt(roomId, type, userId, [eventId], { ts });
  }

  /**
   * A receipt from another server (already checked: the sender speaks for its user, who is in
   * the room). Any receipt type is kept as data, as Synapse did; the last event id counts.
   */
  setRemote(roomId: string, type: string, userId: string, eventIds: string[], data: JsonObject): void {
    if (eventIds.length === 0) return;
    const types = this.storage.receipts.types(roomId, userId);
    if (!types.includes(type) && types.length >= MAX_REMOTE_RECEIPT_TYPES) return;
    const ts = Number.isSafeInteger(data.ts) && (data.ts as number) >= 0 ? (data.ts as number) : this.clock();
    this.store(roomId, type, userId, eventIds[eventIds.length - 1]!, ts);
  }

  private store(roomId: string, type: string, userId: string, eventId: string, ts: number): void {
    // Receipts only move forwards, as in Synapse 0.12 (SyTest 21receipts): one for an event
    // older than the current receipt's is ignored.
    const current = this.storage.receipts.roomReceipts(roomId).find((r) => r.receipt_type === type && r.user_id === userId);
    if (current && current.event_id !== eventId) {
      const was = this.storage.events.getEvent(current.event_id)?.stream_ordering;
      const now = this.storage.events.getEvent(eventId)?.stream_ordering;
      if (was != null && now != null && now < was) return;
    }
    this.storage.receipts.set(roomId, type, userId, eventId, ts);
    this.notifier.notifyRoom(roomId);
  }

  eventsBetween(roomIds: Set<string>, fromExclusive: number, toInclusive: number): ReceiptEvent[] {
    return toEvents(this.storage.receipts.changedBetween(fromExclusive, toInclusive).filter((r) => roomIds.has(r.room_id)));
  }

  snapshot(roomIds: Iterable<string>): ReceiptEvent[] {
    return toEvents([...roomIds].flatMap((r) => this.storage.receipts.roomReceipts(r)));
  }
}

/** A JSON object for keys that come from clients and peers: no prototype, so `__proto__` is a plain key. */
function dict(): JsonObject {
  return Object.create(null) as JsonObject;
}

/** One m.receipt event per room: {"$event": {"m.read": {"@user": {"ts": ...}}}}. */
function toEvents(rows: ReceiptRow[]): ReceiptEvent[] {
  const byRoom = new Map<string, Map<string, Map<string, JsonObject>>>();
  for (const r of rows) {
    let byEvent = byRoom.get(r.room_id);
    if (!byEvent) byRoom.set(r.room_id, (byEvent = new Map()));
    let byType = byEvent.get(r.event_id);
    if (!byType) byEvent.set(r.event_id, (byType = new Map()));
    let byUser = byType.get(r.receipt_type);
    if (!byUser) byType.set(r.receipt_type, (byUser = dict()));
    byUser[r.user_id] = { ts: r.ts };
  }
  return [...byRoom].map(([room_id, byEvent]) => {
    const content = dict();
    for (const [eventId, byType] of byEvent) {
      const types = dict();
      for (const [type, users] of byType) types[type] = users;
      content[eventId] = types;
    }
    return { type: 'm.receipt' as const, room_id, content };
  });
}
