import type { Db } from './db.js';

export interface AccountDataRow {
  user_id: string;
  /** '' for global account data. */
  room_id: string;
  type: string;
  content_json: string;
  stream_id: number;
}

/** Filters, account data (room tags included, as each room's m.tag) and the txnIds of sent events. */
export class AccountDataStore {
  private readonly maxFilterId;
  private readonly insertFilter;
  private readonly selectFilter;
  private readonly upsertData;
  private readonly selectData;
  private readonly selectAllData;
  private readonly selectChanged;
  private readonly maxStreamStmt;
  private readonly insertTxn;
  private readonly selectTxn;
  private streamPos: number;

  constructor(db: Db) {
    this.maxFilterId = db.prepare('SELECT max(filter_id) AS m FROM user_filters WHERE user_id = ?');
    this.insertFilter = db.prepare('INSERT INTO user_filters (user_id, filter_id, filter_json) VALUES (?, ?, ?)');
    this.selectFilter = db.prepare('SELECT filter_json FROM user_filters WHERE user_id = ? AND filter_id = ?');
    this.upsertData = db.prepare(`INSERT INTO account_data (user_id, room_id, type, content_json, stream_id) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(user_id, room_id, type) DO UPDATE SET content_json = excluded.content_json, stream_id = excluded.stream_id`);
    this.selectData = db.prepare('SELECT * FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?');
    this.selectAllData = db.prepare('SELECT * FROM account_data WHERE user_id = ? ORDER BY stream_id');
    this.selectChanged = db.prepare('SELECT * FROM account_data WHERE user_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id');
    this.maxStreamStmt = db.prepare('SELECT max(stream_id) AS m FROM account_data');
    this.insertTxn = db.prepare('INSERT OR IGNORE INTO event_txn_ids (event_id, token_hash, txn_id) VALUES (?, ?, ?)');
    this.selectTxn = db.prepare('SELECT token_hash, txn_id FROM event_txn_ids WHERE event_id = ?');
    this.streamPos = (this.maxStreamStmt.get() as { m: number | null }).m ?? 0;
  }

  addFilter(userId: string, json: string): number {
    const id = ((this.maxFilterId.get(userId) as { m: number | null }).m ?? -1) + 1;
    this.insertFilter.run(userId, id, json);
    return id;
  }

  getFilter(userId: string, filterId: number): string | undefined {
    return (this.selectFilter.get(userId, filterId) as { filter_json: string } | undefined)?.filter_json;
  }

  currentStreamId(): number {
    return this.streamPos;
  }

  /** Stores account data (roomId '' = global) at a new stream position; returns that position. */
  put(userId: string, roomId: string, type: string, contentJson: string): number {
    const id = this.streamPos + 1;
    this.upsertData.run(userId, roomId, type, contentJson, id);
    this.streamPos = id;
    return id;
  }

  get(userId: string, roomId: string, type: string): AccountDataRow | undefined {
    return this.selectData.get(userId, roomId, type) as AccountDataRow | undefined;
  }

  all(userId: string): AccountDataRow[] {
    return this.selectAllData.all(userId) as AccountDataRow[];
  }

  changedBetween(userId: string, fromExclusive: number, toInclusive: number): AccountDataRow[] {
    return this.selectChanged.all(userId, fromExclusive, toInclusive) as AccountDataRow[];
  }

  recordTxn(eventId: string, tokenHash: string, txnId: string): void {
    this.insertTxn.run(eventId, tokenHash, txnId);
  }

  txnOf(eventId: string): { token_hash: string; txn_id: string } | undefined {
    return this.selectTxn.get(eventId) as { token_hash: string; txn_id: string } | undefined;
  }
}
