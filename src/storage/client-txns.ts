import type { Db } from './db.js';

/** Remembers the answer to each (access token, path, txnId) so retried PUTs are idempotent. */
export class ClientTxnsStore {
  private readonly select;
  private readonly insert;

  constructor(db: Db) {
    this.select = db.prepare('SELECT response_json FROM client_txns WHERE token_hash = ? AND path = ? AND txn_id = ?');
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO client_txns (token_hash, path, txn_id, response_json, created_ts) VALUES (?, ?, ?, ?, ?)',
    );
  }

  get(tokenHash: string, path: string, txnId: string): unknown | undefined {
    const row = this.select.get(tokenHash, path, txnId) as { response_json: string } | undefined;
    return row ? JSON.parse(row.response_json) : undefined;
  }

  put(tokenHash: string, path: string, txnId: string, response: unknown, now: number): void {
    this.insert.run(tokenHash, path, txnId, JSON.stringify(response), now);
  }
}
