import type { Db } from './db.js';

const WHERE = `event_search MATCH @match AND room_id IN (SELECT value FROM json_each(@rooms))
  AND key IN (SELECT value FROM json_each(@keys))`;

export interface SearchHit {
  event_id: string;
  room_id: string;
  stream_ordering: number;
  /** bm25: lower is better. */
  score: number;
}

/** The full-text index (SQLite FTS5) over message bodies, room names and topics. */
export class SearchStore {
  private readonly insert;
  private readonly countStmt;
  private readonly recentStmt;
  private readonly rankStmt;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO event_search (value, event_id, room_id, key, stream_ordering) VALUES (?, ?, ?, ?, ?)');
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM event_search WHERE ${WHERE}`);
    this.recentStmt = db.prepare(`SELECT event_id, room_id, stream_ordering, bm25(event_search) AS score FROM event_search WHERE ${WHERE}
      AND (@before IS NULL OR stream_ordering < @before) ORDER BY stream_ordering DESC LIMIT @limit`);
    this.rankStmt = db.prepare(`SELECT event_id, room_id, stream_ordering, bm25(event_search) AS score FROM event_search WHERE ${WHERE}
      ORDER BY score, stream_ordering DESC LIMIT @limit OFFSET @offset`);
  }

  index(eventId: string, roomId: string, key: string, value: string, streamOrdering: number): void {
    this.insert.run(value, eventId, roomId, key, streamOrdering);
  }

  /**
   * Matches of an FTS5 query in the given rooms and keys: the total count, and one page either by
   * rank (offset) or newest first (before a stream position).
   */
  search(match: string, roomIds: string[], keys: string[], page: { order: 'rank' | 'recent'; offset: number; before: number | null; limit: number }): { count: number; hits: SearchHit[] } {
    const params = { match, rooms: JSON.stringify(roomIds), keys: JSON.stringify(keys) };
    const count = (this.countStmt.get(params) as { n: number }).n;
    const hits = page.order === 'recent'
      ? this.recentStmt.all({ ...params, before: page.before, limit: page.limit })
      : this.rankStmt.all({ ...params, limit: page.limit, offset: page.offset });
    return { count, hits: hits as SearchHit[] };
  }
}
