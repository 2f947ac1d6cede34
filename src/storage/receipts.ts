import type { Db } from './db.js';

export interface ReceiptRow {
  room_id: string;
  receipt_type: string;
  user_id: string;
  event_id: string;
  ts: number;
  stream_id: number;
}

export class ReceiptsStore {
  private readonly upsert;
  private readonly forRoom;
  private readonly since;
  private readonly maxId;
  private readonly typesOf;
  private streamId: number;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO receipts (room_id, receipt_type, user_id, event_id, ts, stream_id) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(room_id, receipt_type, user_id) DO UPDATE SET event_id = excluded.event_id, ts = excluded.ts,
      stream_id = excluded.stream_id`);
    this.forRoom = db.prepare('SELECT * FROM receipts WHERE room_id = ?');
    this.since = db.prepare('SELECT * FROM receipts WHERE stream_id > ? AND stream_id <= ? ORDER BY stream_id');
    this.maxId = db.prepare('SELECT max(stream_id) AS m FROM receipts');
    this.typesOf = db.prepare('SELECT receipt_type FROM receipts WHERE room_id = ? AND user_id = ?');
    this.streamId = (this.maxId.get() as { m: number | null }).m ?? 0;
  }

  currentStreamId(): number {
    return this.streamId;
  }

  set(roomId: string, type: string, userId: string, eventId: string, ts: number): number {
    const id = ++this.streamId;
    this.upsert.run(roomId, type, userId, eventId, ts, id);
    return id;
  }

  /** The receipt types the user has in the room. */
  types(roomId: string, userId: string): string[] {
    return (this.typesOf.all(roomId, userId) as { receipt_type: string }[]).map((r) => r.receipt_type);
  }

  roomReceipts(roomId: string): ReceiptRow[] {
    return this.forRoom.all(roomId) as ReceiptRow[];
  }

  changedBetween(fromExclusive: number, toInclusive: number): ReceiptRow[] {
    return this.since.all(fromExclusive, toInclusive) as ReceiptRow[];
  }
}
