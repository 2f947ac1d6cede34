import type { Db } from './db.js';

export interface PresenceRow {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: number;
  stream_id: number;
}

export class PresenceStore {
  private readonly upsert;
  private readonly select;
  private readonly since;
  private readonly maxId;
  private readonly listSelect;
  private readonly listInsert;
  private readonly listDelete;
  private readonly observersOf;
  private readonly listCount;
  private streamId: number;

  constructor(db: Db) {
    this.upsert = db.prepare(`INSERT INTO presence (user_id, state, status_msg, last_active_ts, stream_id) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(user_id) DO UPDATE SET state = excluded.state, status_msg = excluded.status_msg,
      last_active_ts = excluded.last_active_ts, stream_id = excluded.stream_id`);
    this.select = db.prepare('SELECT * FROM presence WHERE user_id = ?');
    this.since = db.prepare('SELECT * FROM presence WHERE stream_id > ? AND stream_id <= ? ORDER BY stream_id');
    this.maxId = db.prepare('SELECT max(stream_id) AS m FROM presence');
    // An entry is accepted when the observed user lists the observer too: both asked, so both
    // consented (computed, so entries from before this rule are judged the same way).
    const mutual = `EXISTS (SELECT 1 FROM presence_list r WHERE r.observer_user_id = l.observed_user_id
      AND r.observed_user_id = l.observer_user_id)`;
    this.listSelect = db.prepare(`SELECT l.observed_user_id, ${mutual} AS accepted FROM presence_list l WHERE l.observer_user_id = ?`);
    this.listInsert = db.prepare('INSERT OR IGNORE INTO presence_list (observer_user_id, observed_user_id, accepted) VALUES (?, ?, 0)');
    this.listDelete = db.prepare('DELETE FROM presence_list WHERE observer_user_id = ? AND observed_user_id = ?');
    this.listCount = db.prepare('SELECT count(*) AS n FROM presence_list WHERE observer_user_id = ?');
    this.observersOf = db.prepare(`SELECT l.observer_user_id FROM presence_list l WHERE l.observed_user_id = ? AND ${mutual}`);
    this.streamId = (this.maxId.get() as { m: number | null }).m ?? 0;
  }

  currentStreamId(): number {
    return this.streamId;
  }

  set(userId: string, state: string, statusMsg: string | null, lastActiveTs: number): number {
    const id = ++this.streamId;
    this.upsert.run(userId, state, statusMsg, lastActiveTs, id);
    return id;
  }

  get(userId: string): PresenceRow | undefined {
    return this.select.get(userId) as PresenceRow | undefined;
  }

  changedBetween(fromExclusive: number, toInclusive: number): PresenceRow[] {
    return this.since.all(fromExclusive, toInclusive) as PresenceRow[];
  }

  /** The observer's list; `accepted` is 1 once the observed user has listed the observer as well. */
  list(observer: string): { observed_user_id: string; accepted: number }[] {
    return this.listSelect.all(observer) as { observed_user_id: string; accepted: number }[];
  }

  listSize(observer: string): number {
    return (this.listCount.get(observer) as { n: number }).n;
  }

  addToList(observer: string, observed: string): void {
    this.listInsert.run(observer, observed);
  }

  dropFromList(observer: string, observed: string): void {
    this.listDelete.run(observer, observed);
  }

  /** Users whose accepted presence list holds `observed`. */
  observers(observed: string): string[] {
    return (this.observersOf.all(observed) as { observer_user_id: string }[]).map((r) => r.observer_user_id);
  }
}
