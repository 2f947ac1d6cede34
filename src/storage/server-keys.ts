import type { Db } from './db.js';

export interface ServerKeyRow {
  server_name: string;
  key_id: string;
  verify_key: string;
  valid_until_ts: number;
  expired_ts: number | null;
}

export interface KeyResponseRow {
  server_name: string;
  response_json: string;
  valid_until_ts: number;
  fetched_ts: number;
}

/** Other servers' verify keys and their last self-signed key response (kept verbatim for notary answers). */
export class ServerKeysStore {
  private readonly upsertKey;
  private readonly selectKeys;
  private readonly upsertResponse;
  private readonly selectResponse;

  constructor(db: Db) {
    this.upsertKey = db.prepare(`INSERT INTO server_keys (server_name, key_id, verify_key, valid_until_ts, expired_ts)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT(server_name, key_id) DO UPDATE SET verify_key = excluded.verify_key,
      valid_until_ts = excluded.valid_until_ts, expired_ts = excluded.expired_ts`);
    this.selectKeys = db.prepare('SELECT * FROM server_keys WHERE server_name = ?');
    this.upsertResponse = db.prepare(`INSERT INTO server_key_responses (server_name, response_json, valid_until_ts, fetched_ts)
      VALUES (?, ?, ?, ?) ON CONFLICT(server_name) DO UPDATE SET response_json = excluded.response_json,
      valid_until_ts = excluded.valid_until_ts, fetched_ts = excluded.fetched_ts`);
    this.selectResponse = db.prepare('SELECT * FROM server_key_responses WHERE server_name = ?');
  }

  putKey(row: ServerKeyRow): void {
    this.upsertKey.run(row.server_name, row.key_id, row.verify_key, row.valid_until_ts, row.expired_ts);
  }

  keysOf(serverName: string): ServerKeyRow[] {
    return this.selectKeys.all(serverName) as ServerKeyRow[];
  }

  putResponse(row: KeyResponseRow): void {
    this.upsertResponse.run(row.server_name, row.response_json, row.valid_until_ts, row.fetched_ts);
  }

  response(serverName: string): KeyResponseRow | undefined {
    return this.selectResponse.get(serverName) as KeyResponseRow | undefined;
  }
}
