// Batched read-side queries over events: the read paths (initialSync, /sync, formatting) load
// many events at once instead of one SELECT per event.
import type { Db } from './db.js';
import type { EventRow } from './events.js';

/** Ids per query: keeps each JSON argument and result set small. */
const CHUNK = 500;

export class EventReadsStore {
  private readonly byIds;

  constructor(db: Db) {
    this.byIds = db.prepare('SELECT * FROM events WHERE event_id IN (SELECT value FROM json_each(?))');
  }

  /**
   * The stored rows of these events (unknown ids are absent), added to `into`; ids already in
   * `into` are not read again. One query per CHUNK ids.
   */
  getEvents(ids: Iterable<string>, into: Map<string, EventRow> = new Map()): Map<string, EventRow> {
    const want: string[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      if (into.has(id) || seen.has(id)) continue;
      seen.add(id);
      want.push(id);
    }
    for (let i = 0; i < want.length; i += CHUNK) {
      for (const row of this.byIds.all(JSON.stringify(want.slice(i, i + CHUNK))) as EventRow[]) into.set(row.event_id, row);
    }
    return into;
  }
}
