// Answers other servers' read requests from our copy of the graph (federation-v1.md §3). Bodies
// are built by concatenating stored PDU texts, so signed JSON is never re-serialised.
import type { EventLoader } from '../rooms/event-loader.js';
import type { EventRow } from '../storage/events.js';
import { pruneEvent, serverOf, splitStateKey, type JsonObject } from '../events/index.js';
import { setTopLevelMember } from '../crypto/index.js';
import { isEventVisible, lazyStateView, redactedJson } from '../events/index.js';
import { MatrixError, forbidden, notFound } from '../errors.js';
import type { EventGraph } from './event-graph.js';

const MAX_BACKFILL = 100;
const MAX_MISSING = 20;

export class FederationServer {
  constructor(
    private readonly serverName: string,
    private readonly clock: () => number,
    private readonly loader: EventLoader,
    private readonly graph: EventGraph,
  ) {}

  private contentOf(eventId: string): JsonObject | undefined {
    return this.loader.pdu(eventId)?.content as JsonObject | undefined;
  }

  private requireHostInRoom(roomId: string, origin: string): void {
    if (!this.graph.hostInRoom(roomId, origin)) throw forbidden('Host not in room.');
  }

  private txnShaped(pdus: string): string {
    return `{"origin":${JSON.stringify(this.serverName)},"origin_server_ts":${this.clock()},"pdus":${pdus}}`;
  }

  // GET /event/{eventId}
  event(origin: string, eventId: string): string {
    const row = this.graph.event(eventId);
    if (!row || row.rejected_reason) throw notFound('Event not found.');
    const now = this.clock();
    return this.txnShaped(`[${this.visibleTo(origin, row) ? this.graph.renderPdu(row, now) : this.prunedPdu(row, now)}]`);
  }

  /** The state before `eventId` and its auth chain, as PDU lists; ids only for /state_ids. */
  state(origin: string, roomId: string, eventId: unknown, idsOnly = false): string {
    if (typeof eventId !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing event_id parameter');
    this.requireHostInRoom(roomId, origin);
    const row = this.graph.event(eventId);
    if (!row || row.room_id !== roomId) throw notFound('Event not found.');
    const state = this.graph.stateBefore(row);
    if (!state) throw notFound('State at this event is not known.');
    const stateRows = this.graph.rows(state.values());
    const chain = this.graph.authChain([...state.values()]);
    if (idsOnly) {
      return JSON.stringify({ pdu_ids: stateRows.map((r) => r.event_id), auth_chain_ids: chain.map((r) => r.event_id) });
    }
    const now = this.clock();
    return `{"pdus":${this.graph.renderList(stateRows, now)},"auth_chain":${this.graph.renderList(chain, now)}}`;
  }

  // GET /backfill/{roomId}/?v=...&limit=...
  backfill(origin: string, roomId: string, v: unknown, limit: unknown): string {
    const ids = (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
    if (limit === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', 'Did not include limit param');
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 0) throw new MatrixError(400, 'M_INVALID_PARAM', 'limit must be a non-negative integer');
    this.requireHostInRoom(roomId, origin);
    const rows = this.graph.backfillWalk(roomId, ids, Math.min(n, MAX_BACKFILL));
    const now = this.clock();
    const pdus = rows.map((r) => (this.visibleTo(origin, r) ? this.graph.renderPdu(r, now) : this.prunedPdu(r, now)));
    return this.txnShaped(`[${pdus.join(',')}]`);
  }

  // POST /get_missing_events/{roomId}
  missingEvents(origin: string, roomId: string, body: unknown): string {
    const b = (body ?? {}) as Record<string, unknown>;
    const list = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
    const limit = Math.min(Number.isInteger(b.limit) ? (b.limit as number) : 10, MAX_MISSING);
    const minDepth = Number.isInteger(b.min_depth) ? (b.min_depth as number) : 0;
    this.requireHostInRoom(roomId, origin);
    const rows = this.graph.missingEvents(roomId, list(b.earliest_events), list(b.latest_events), limit, minDepth);
    return `{"events":${this.graph.renderList(rows, this.clock())}}`;
  }

  // GET /event_auth/{roomId}/{eventId}. Open to servers not in the room (as in Synapse 0.10): an
  // invited server needs the auth chain of the invite's auth events before it has joined.
  eventAuth(roomId: string, eventId: string): string {
    const row = this.graph.event(eventId);
    if (!row || row.room_id !== roomId) throw notFound('Event not found.');
    return `{"auth_chain":${this.graph.renderList(this.graph.authChain([eventId]), this.clock())}}`;
  }

  private prunedPdu(row: EventRow, now: number): string {
    return setTopLevelMember(redactedJson(JSON.parse(row.json)), 'unsigned', `{"age":${Math.max(0, now - row.age_ts)}}`);
  }

  /** Server history visibility (federation-v1.md §3.3, events/visibility.ts): otherwise served pruned. */
  private visibleTo(server: string, row: EventRow): boolean {
    const state = this.graph.stateBefore(row);
    const view = state && lazyStateView(state, (id) => this.loader.pdu(id));
    return isEventVisible(row, view, { server });
  }
}
