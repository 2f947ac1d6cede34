// POST /search (client v1, Synapse 0.12): full-text search of the user's rooms, by rank or
// newest first, with a next_batch token to page on.
import type { Storage } from '../storage/index.js';
import { INDEXED, type SearchIndexer } from './indexer.js';
import type { ClientEvents } from '../sync/client-events.js';
import type { HistoryVisibility } from '../sync/visibility.js';
import type { JsonObject } from '../events/index.js';
import { MatrixError, badJson } from '../errors.js';
import { allows, parseFilter, type EventFilter } from '../accounts/filters.js';

const MAX_TERM = 1000;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

/** Search words as FTS5 phrases ("a" "b": both must appear); nothing of FTS5's syntax gets through. */
function ftsQuery(term: string): string {
  const words = term.split(/[\s\p{P}]+/u).filter((w) => w !== '').slice(0, 32);
  return words.map((w) => `"${w.replace(/"/g, '""')}"`).join(' ');
}

export class SearchService {
  constructor(
    private readonly storage: Storage,
    private readonly events: ClientEvents,
    private readonly visibility: HistoryVisibility,
    /** Brought up to date before each search, so a committed event is found at once. */
    private readonly indexer: SearchIndexer,
  ) {}

  async search(userId: string, body: unknown, nextBatch: string | undefined): Promise<JsonObject> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badJson('Body must be a JSON object');
    const categories = (body as JsonObject).search_categories;
    if (typeof categories !== 'object' || categories === null || Array.isArray(categories)) throw badJson("Missing 'search_categories'");
    const re = (categories as JsonObject).room_events;
    if (re === undefined) return { search_categories: {} };
    return { search_categories: { room_events: this.roomEvents(userId, re, nextBatch) } };
  }

  private roomEvents(userId: string, re: unknown, nextBatch: string | undefined): JsonObject {
    if (typeof re !== 'object' || re === null || Array.isArray(re)) throw badJson("'room_events' must be an object");
    const q = re as JsonObject;
    if (typeof q.search_term !== 'string' || q.search_term.length === 0 || q.search_term.length > MAX_TERM) {
      throw new MatrixError(400, 'M_INVALID_PARAM', "'search_term' must be a non-empty string");
    }
    const keys = q.keys === undefined ? [...INDEXED.values()] : q.keys;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string' && [...INDEXED.values()].includes(k))) {
      throw new MatrixError(400, 'M_INVALID_PARAM', "'keys' must list content.body, content.name or content.topic");
    }
    const order = q.order_by === undefined ? 'rank' : q.order_by;
    if (order !== 'rank' && order !== 'recent') throw new MatrixError(400, 'M_INVALID_PARAM', "'order_by' must be rank or recent");
    const filter: EventFilter = parseFilter({ room: { timeline: q.filter ?? {} } }).timeline;
    const limit = Math.min(filter.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    const page = parseBatch(nextBatch, order);
    const rooms = this.storage.state.roomsForUser(userId, ['join']).map((r) => r.room_id)
      .filter((r) => !filter.notRooms.includes(r) && (filter.rooms === null || filter.rooms.includes(r)));
    const match = ftsQuery(q.search_term);
    this.indexer.catchUp();
    if (match === '' || rooms.length === 0) return { count: 0, results: [], highlights: [] };
    const { count, hits } = this.storage.search.search(match, rooms, keys as string[], { order, offset: page.offset, before: page.before, limit });
    const results: JsonObject[] = [];
    for (const hit of hits) {
      const row = this.storage.events.getEvent(hit.event_id);
      if (!row || row.redacted_by || !allows(filter, row) || !this.visibility.visible(userId, row)) continue;
      results.push({ rank: -hit.score, result: this.events.format(row) });
    }
    const out: JsonObject = { count, results, highlights: q.search_term.split(/\s+/).filter((w) => w !== '') };
    if (hits.length === limit) {
      const last = hits[hits.length - 1];
      out.next_batch = order === 'recent' ? `r${last.stream_ordering}` : `o${page.offset + hits.length}`;
    }
    return out;
  }
}

function parseBatch(token: string | undefined, order: string): { offset: number; before: number | null } {
  if (token === undefined || token === '') return { offset: 0, before: null };
  const m = /^([ro])(-?\d{1,15})$/.exec(token);
  if (!m || (m[1] === 'r') !== (order === 'recent')) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid next_batch');
  return m[1] === 'r' ? { offset: 0, before: Number(m[2]) } : { offset: Math.max(0, Number(m[2])), before: null };
}
