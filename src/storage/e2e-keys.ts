import type { Db } from './db.js';

/** End-to-end keys: each device's keys object and its one-time keys (handed out once). */
export class E2eKeysStore {
  private readonly upsertDevice;
  private readonly selectDevices;
  private readonly selectDevice;
  private readonly insertOneTime;
  private readonly countOneTime;
  private readonly selectOneTime;
  private readonly deleteOneTime;

  constructor(private readonly db: Db) {
    this.upsertDevice = db.prepare(`INSERT INTO e2e_device_keys (user_id, device_id, key_json, ts) VALUES (?, ?, ?, ?)
      ON CONFLICT(user_id, device_id) DO UPDATE SET key_json = excluded.key_json, ts = excluded.ts`);
    this.selectDevices = db.prepare('SELECT device_id, key_json FROM e2e_device_keys WHERE user_id = ? LIMIT 1000');
    this.selectDevice = db.prepare('SELECT device_id, key_json FROM e2e_device_keys WHERE user_id = ? AND device_id = ?');
    this.insertOneTime = db.prepare(`INSERT OR REPLACE INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, key_json, ts)
      VALUES (?, ?, ?, ?, ?, ?)`);
    this.countOneTime = db.prepare(`SELECT algorithm, count(*) AS n FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ?
      GROUP BY algorithm`);
    this.selectOneTime = db.prepare(`SELECT key_id, key_json FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?
      ORDER BY ts, key_id LIMIT 1`);
    this.deleteOneTime = db.prepare('DELETE FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?');
  }

  setDeviceKeys(userId: string, deviceId: string, json: string, now: number): void {
    this.upsertDevice.run(userId, deviceId, json, now);
  }

  deviceKeys(userId: string, deviceId: string | null): { device_id: string; key_json: string }[] {
    if (deviceId === null) return this.selectDevices.all(userId) as { device_id: string; key_json: string }[];
    const row = this.selectDevice.get(userId, deviceId) as { device_id: string; key_json: string } | undefined;
    return row ? [row] : [];
  }

  addOneTimeKeys(userId: string, deviceId: string, keys: { algorithm: string; keyId: string; json: string }[], now: number): void {
    this.db.transaction(() => {
      for (const k of keys) this.insertOneTime.run(userId, deviceId, k.algorithm, k.keyId, k.json, now);
    })();
  }

  oneTimeKeyCounts(userId: string, deviceId: string): { algorithm: string; n: number }[] {
    return this.countOneTime.all(userId, deviceId) as { algorithm: string; n: number }[];
  }

  /** Takes (removes and returns) one one-time key of the algorithm, oldest first. */
  claimOneTimeKey(userId: string, deviceId: string, algorithm: string): { key_id: string; key_json: string } | undefined {
    return this.db.transaction(() => {
      const row = this.selectOneTime.get(userId, deviceId, algorithm) as { key_id: string; key_json: string } | undefined;
      if (row) this.deleteOneTime.run(userId, deviceId, algorithm, row.key_id);
      return row;
    })();
  }
}
