import type { Db } from './db.js';

export interface PusherRow {
  user_id: string;
  app_id: string;
  pushkey: string;
  kind: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string;
  lang: string;
  data_json: string;
  url: string;
  ts: number;
  /** The last stream position this pusher has dealt with. */
  last_stream: number;
  failing_since: number | null;
}

/** HTTP pushers (POST /pushers/set) and each one's delivery cursor. */
export class PushersStore {
  private readonly upsert;
  private readonly deleteOne;
  private readonly deleteOthers;
  private readonly selectAll;
  private readonly selectOne;
  private readonly updateCursor;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO pushers (user_id, app_id, pushkey, kind, app_display_name, device_display_name, profile_tag,
      lang, data_json, url, ts, last_stream, failing_since) VALUES (@user_id, @app_id, @pushkey, @kind, @app_display_name,
      @device_display_name, @profile_tag, @lang, @data_json, @url, @ts, @last_stream, NULL)
      ON CONFLICT(app_id, pushkey, user_id) DO UPDATE SET kind = excluded.kind, app_display_name = excluded.app_display_name,
      device_display_name = excluded.device_display_name, profile_tag = excluded.profile_tag, lang = excluded.lang,
      data_json = excluded.data_json, url = excluded.url, ts = excluded.ts, failing_since = NULL`);
    this.deleteOne = db.prepare('DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id = ?');
    this.deleteOthers = db.prepare('DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id != ?');
    this.selectAll = db.prepare('SELECT * FROM pushers');
    this.selectOne = db.prepare('SELECT * FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id = ?');
    this.updateCursor = db.prepare('UPDATE pushers SET last_stream = ?, failing_since = ? WHERE app_id = ? AND pushkey = ? AND user_id = ?');
  }

  /** Adds or replaces a pusher; without `append`, the same app_id/pushkey of other users is dropped. */
  set(row: Omit<PusherRow, 'failing_since'>, append: boolean): void {
    if (!append) this.deleteOthers.run(row.app_id, row.pushkey, row.user_id);
    this.upsert.run(row);
  }

  remove(appId: string, pushkey: string, userId: string): void {
    this.deleteOne.run(appId, pushkey, userId);
  }

  all(): PusherRow[] {
    return this.selectAll.all() as PusherRow[];
  }

  get(appId: string, pushkey: string, userId: string): PusherRow | undefined {
    return this.selectOne.get(appId, pushkey, userId) as PusherRow | undefined;
  }

  advance(p: { app_id: string; pushkey: string; user_id: string }, stream: number, failingSince: number | null): void {
    this.updateCursor.run(stream, failingSince, p.app_id, p.pushkey, p.user_id);
  }
}
