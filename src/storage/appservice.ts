import type { Db } from './db.js';

export interface AppServiceTxnRow {
  as_id: string;
  txn_id: number;
  max_queue_id: number;
  body: string;
  created_ts: number;
}

export interface AppServiceStateRow {
  as_id: string;
  last_txn_id: number;
  backoff_ms: number;
  next_retry_ts: number;
  last_error: string | null;
}

export interface LegacyRegistrationRow {
  as_token: string;
  hs_token: string;
  url: string;
  namespaces_json: string;
}

/** The durable per-service queue: event rows, then transactions formed from them. */
export class AppServiceStore {
  private readonly insertQueue;
  private readonly selectQueued;
  private readonly countQueued;
  private readonly selectOldestTxn;
  private readonly selectMaxTxn;
  private readonly insertTxn;
  private readonly deleteTxn;
  private readonly deleteQueuedUpTo;
  private readonly selectState;
  private readonly upsertState;
  private readonly insertLegacy;
  private readonly selectLegacy;

  constructor(private readonly db: Db) {
    this.insertQueue = db.prepare('INSERT INTO appservice_queue (as_id, event_id, created_ts) VALUES (?, ?, ?)');
    this.selectQueued = db.prepare('SELECT id, event_id FROM appservice_queue WHERE as_id = ? AND id > ? ORDER BY id LIMIT ?');
    this.countQueued = db.prepare('SELECT count(*) AS n FROM appservice_queue WHERE as_id = ?');
    this.selectOldestTxn = db.prepare('SELECT * FROM appservice_txns WHERE as_id = ? ORDER BY txn_id LIMIT 1');
    this.selectMaxTxn = db.prepare('SELECT max(txn_id) AS t, max(max_queue_id) AS q FROM appservice_txns WHERE as_id = ?');
    this.insertTxn = db.prepare('INSERT INTO appservice_txns (as_id, txn_id, max_queue_id, body, created_ts) VALUES (?, ?, ?, ?, ?)');
    this.deleteTxn = db.prepare('DELETE FROM appservice_txns WHERE as_id = ? AND txn_id = ?');
    this.deleteQueuedUpTo = db.prepare('DELETE FROM appservice_queue WHERE as_id = ? AND id <= ?');
    this.selectState = db.prepare('SELECT * FROM appservice_state WHERE as_id = ?');
    this.upsertState = db.prepare(`INSERT INTO appservice_state (as_id, last_txn_id, backoff_ms, next_retry_ts, last_error)
      VALUES (@as_id, @last_txn_id, @backoff_ms, @next_retry_ts, @last_error) ON CONFLICT(as_id) DO UPDATE SET
      last_txn_id = excluded.last_txn_id, backoff_ms = excluded.backoff_ms, next_retry_ts = excluded.next_retry_ts,
      last_error = excluded.last_error`);
    this.insertLegacy = db.prepare(`INSERT INTO appservice_legacy_registrations (as_token, hs_token, url, namespaces_json, created_ts)
      VALUES (?, ?, ?, ?, ?)`);
    this.selectLegacy = db.prepare('SELECT * FROM appservice_legacy_registrations ORDER BY created_ts');
  }

  /** Called inside the event's own SQLite transaction. */
  enqueue(asId: string, eventId: string, now: number): void {
    this.insertQueue.run(asId, eventId, now);
  }

  queueDepth(asId: string): number {
    return (this.countQueued.get(asId) as { n: number }).n;
  }

  /** The oldest transaction not yet acknowledged: it is retried, byte for byte, before anything new. */
  oldestTxn(asId: string): AppServiceTxnRow | undefined {
    return this.selectOldestTxn.get(asId) as AppServiceTxnRow | undefined;
  }

  /**
   * Forms the next transaction from queued events not yet in one, storing its exact body
   * before it is sent. Returns undefined when nothing is queued.
   */
  createTxn(asId: string, limit: number, now: number, body: (eventIds: string[]) => string): AppServiceTxnRow | undefined {
    return this.db.transaction(() => {
      const max = this.selectMaxTxn.get(asId) as { t: number | null; q: number | null };
      const rows = this.selectQueued.all(asId, max.q ?? 0, limit) as { id: number; event_id: string }[];
      if (rows.length === 0) return undefined;
      const txnId = Math.max(max.t ?? 0, this.state(asId).last_txn_id) + 1;
      const row = { as_id: asId, txn_id: txnId, max_queue_id: rows[rows.length - 1].id, body: body(rows.map((r) => r.event_id)), created_ts: now };
      this.insertTxn.run(row.as_id, row.txn_id, row.max_queue_id, row.body, row.created_ts);
      return row;
    })();
  }

  /** Acknowledged: the transaction and its queue rows go, the backoff resets. */
  completeTxn(txn: AppServiceTxnRow): void {
    this.db.transaction(() => {
      this.deleteTxn.run(txn.as_id, txn.txn_id);
      this.deleteQueuedUpTo.run(txn.as_id, txn.max_queue_id);
      this.upsertState.run({ as_id: txn.as_id, last_txn_id: txn.txn_id, backoff_ms: 0, next_retry_ts: 0, last_error: null });
    })();
  }

  state(asId: string): AppServiceStateRow {
    return (this.selectState.get(asId) as AppServiceStateRow | undefined) ?? {
      as_id: asId, last_txn_id: 0, backoff_ms: 0, next_retry_ts: 0, last_error: null,
    };
  }

  setBackoff(asId: string, backoffMs: number, nextRetryTs: number, error: string | null): void {
    this.upsertState.run({ ...this.state(asId), backoff_ms: backoffMs, next_retry_ts: nextRetryTs, last_error: error });
  }

  addLegacyRegistration(asToken: string, hsToken: string, url: string, namespacesJson: string, now: number): void {
    this.insertLegacy.run(asToken, hsToken, url, namespacesJson, now);
  }

  legacyRegistrations(): LegacyRegistrationRow[] {
    return this.selectLegacy.all() as LegacyRegistrationRow[];
  }
}
