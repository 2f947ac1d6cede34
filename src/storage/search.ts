import type { Db } from './db.js';

const WHERE = `event_search MATCH @match AND room_id IN (SELECT value FROM json_each(@rooms))
  AND key IN (SELECT value FROM json_each(@keys))`;

export interface PendingEvent {
  event_id: string;
  room_id: string;
  type: string;
  json: string;
  stream_ordering: number;
}

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
  private readonly positionStmt;
  private readonly setPositionStmt;
  private readonly pendingStmt;
  private readonly maxStreamStmt;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO event_search (value, event_id, room_id, key, stream_ordering) VALUES (?, ?, ?, ?, ?)');
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM event_search WHERE ${WHERE}`);
    this.recentStmt = db.prepare(`SELECT event_id, room_id, stream_ordering, bm25(event_search) AS score FROM event_search WHERE ${WHERE}
      AND (@before IS NULL OR stream_ordering < @before) ORDER BY stream_ordering DESC LIMIT @limit`);
    this.rankStmt = db.prepare(`SELECT event_id, room_id, stream_ordering, bm25(event_search) AS score FROM event_search WHERE ${WHERE}
      ORDER BY score, stream_ordering DESC LIMIT @limit OFFSET @offset`);
    this.positionStmt = db.prepare('SELECT stream_ordering FROM search_position WHERE id = 1');
    this.setPositionStmt = db.prepare('INSERT OR REPLACE INTO search_position (id, stream_ordering) VALUES (1, ?)');
    this.maxStreamStmt = db.prepare('SELECT max(stream_ordering) AS m FROM events');
    this.pendingStmt = db.prepare(`SELECT event_id, room_id, type, json, stream_ordering FROM events
      WHERE stream_ordering > @from AND stream_ordering <= @to AND outlier = 0 AND rejected_reason IS NULL
      AND type IN ('m.room.message', 'm.room.name', 'm.room.topic') ORDER BY stream_ordering LIMIT @limit`);
  }

  /** The stream position up to which events are indexed (search_position, migration 0022). */
  position(): number {
    return (this.positionStmt.get() as { stream_ordering: number } | undefined)?.stream_ordering ?? 0;
  }

  setPosition(streamOrdering: number): void {
    this.setPositionStmt.run(streamOrdering);
  }

  /** The newest committed live stream position (not one allocated by a rolled-back write). */
  committedStreamOrdering(): number {
    return Math.max(0, (this.maxStreamStmt.get() as { m: number | null }).m ?? 0);
  }

  /** Timeline events of the indexed types (search/indexer.ts) after a live position, oldest first. */
  pending(fromExclusive: number, toInclusive: number, limit: number): PendingEvent[] {
    return this.pendingStmt.all({ from: fromExclusive, to: toInclusive, limit }) as PendingEvent[];
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
