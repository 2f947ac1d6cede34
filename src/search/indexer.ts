// The full-text index, filled off the write path: after a commit the indexer reads the new
// timeline events from the stream position it stored, indexes them and stores the new position,
// in one transaction. Nothing is lost: a crash before that transaction leaves the position where
// it was, and the next run (after a restart, or the next commit, or the next search) redoes it.
import type { Storage } from '../storage/index.js';
import type { AfterCommitListener } from '../rooms/persist.js';
import type { JsonObject } from '../events/index.js';

/** What Synapse indexed: message bodies, room names and topics. */
// A Map: the event type comes from the sender (`__proto__` is a type like any other).
export const INDEXED = new Map([['m.room.message', 'content.body'], ['m.room.name', 'content.name'], ['m.room.topic', 'content.topic']]);
const MAX_VALUE = 65_536;
/** Events read per query while catching up. */
const CHUNK = 500;
/**
 * How long new events wait to be indexed together: one index transaction per interval under
 * load, not one per commit. A search brings the index up to date first, so none is missed.
 */
const DELAY_MS = 100;

export class SearchIndexer {
  private scheduled = false;
  private stopped = false;

  constructor(private readonly storage: Storage) {}

  /** After each commit: index what is new a little later, together with what follows (coalesced). */
  readonly afterCommit: AfterCommitListener = (ev) => {
    if (ev.streamOrdering === null || ev.backfilled || ev.rejected || !INDEXED.has(ev.pdu.type)) return;
    this.schedule();
  };

  /** Index whatever a previous run left (e.g. after kill -9), soon after start. */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      if (!this.stopped) this.catchUp();
    }, DELAY_MS).unref();
  }

  stop(): void {
    this.stopped = true;
  }

  /** Indexes every committed timeline event not indexed yet. Synchronous: search calls it first. */
  catchUp(): void {
    const { storage } = this;
    if (!storage.db.open) return;
    if (storage.search.position() >= storage.events.currentStreamOrdering()) return;
    storage.transaction(() => {
      // What is committed, not what was allocated: a rolled-back write's position is reused
      // after a restart and must not count as indexed.
      const to = storage.search.committedStreamOrdering();
      let from = storage.search.position();
      if (from >= to) return;
      for (;;) {
        const rows = storage.search.pending(from, to, CHUNK);
        for (const row of rows) this.indexRow(row.event_id, row.room_id, row.type, row.json, row.stream_ordering);
        if (rows.length < CHUNK) break;
        from = rows[rows.length - 1]!.stream_ordering;
      }
      storage.search.setPosition(to);
    });
  }

  private indexRow(eventId: string, roomId: string, type: string, json: string, streamOrdering: number): void {
    const key = INDEXED.get(type);
    if (!key) return;
    let content: unknown;
    try {
      content = (JSON.parse(json) as JsonObject).content;
    } catch {
      return;
    }
    if (typeof content !== 'object' || content === null || Array.isArray(content)) return;
    const field = key.slice('content.'.length);
    const value = Object.hasOwn(content, field) ? (content as JsonObject)[field] : undefined;
    if (typeof value !== 'string' || value.length > MAX_VALUE) return;
    this.storage.search.index(eventId, roomId, key, value, streamOrdering);
  }
}
