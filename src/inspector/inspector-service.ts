// What the admin inspector page reads: rooms, a room's event graph, one event in full (as stored,
// its state, its auth chain) and the inbound federation transactions with their per-PDU outcome.
import type { Storage } from '../storage/index.js';
import { InspectorStore } from '../storage/inspector.js';
import type { EventRow } from '../storage/events.js';
import type { StateIds } from '../storage/state.js';
import { splitStateKey, isJsonObject, type JsonObject } from '../events/index.js';
import { forbidden, notFound } from '../errors.js';

const MAX_AUTH_CHAIN = 1000;
const MAX_STATE = 2000;

export interface GraphNode {
  event_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  depth: number;
  origin_server_ts: number;
  prev_events: string[];
  outlier: boolean;
  rejected: boolean;
  rejected_reason: string | null;
  redacted: boolean;
  /** Opaque paging position (insertion order). */
  pos: number;
}

export interface StateEntry {
  type: string;
  state_key: string;
  event_id: string;
  sender: string | null;
  content: unknown;
}

export interface AdminPolicy {
  isAdmin(userId: string): boolean;
}

export class InspectorService {
  private readonly store: InspectorStore;

  constructor(private readonly storage: Storage, readonly policy: AdminPolicy) {
    this.store = new InspectorStore(storage.db);
  }

  requireAdmin(userId: string): void {
    if (!this.policy.isAdmin(userId)) throw forbidden('You are not a server admin');
  }

  rooms(limit: number) {
    return this.store.roomSummaries(limit).map((r) => ({
      room_id: r.room_id,
      name: this.stateContent(r.room_id, 'm.room.name')?.name ?? null,
      topic: this.stateContent(r.room_id, 'm.room.topic')?.topic ?? null,
      aliases: this.storage.rooms.aliasesForRoom(r.room_id),
      joined_members: this.storage.state.membersWith(r.room_id, 'join').length,
      event_count: r.event_count,
      forward_extremities: this.storage.events.forwardExtremities(r.room_id),
      created_ts: r.created_ts,
      last_activity_ts: r.last_ts,
    }));
  }

  /** The newest `limit` events stored before `before`, each with its prev_events, for drawing the graph. */
  roomEvents(roomId: string, before: number | null, limit: number) {
    const rows = this.store.latestEvents(roomId, before, limit);
    if (rows.length === 0 && before === null) throw notFound('No events of this room are stored here');
    const events: GraphNode[] = rows.map((r) => ({
      event_id: r.event_id,
      type: r.type,
      state_key: r.state_key,
      sender: r.sender,
      depth: r.depth,
      origin_server_ts: r.origin_server_ts,
      prev_events: this.storage.events.prevEventIds(r.event_id),
      outlier: r.outlier === 1,
      rejected: r.rejected_reason !== null,
      rejected_reason: r.rejected_reason,
      redacted: r.redacted_by !== null,
      pos: r.pos,
    }));
    return {
      room_id: roomId,
      events,
      forward_extremities: this.storage.events.forwardExtremities(roomId),
      // Older events remain when this page is full.
      before: rows.length === limit ? rows[rows.length - 1].pos : null,
    };
  }

  /** One event: its federation JSON exactly as stored, why it was rejected, its state and auth chain. */
  event(eventId: string) {
    const row = this.storage.events.getEvent(eventId);
    if (!row) throw notFound('Event not found');
    return {
      event_id: row.event_id,
      room_id: row.room_id,
      type: row.type,
      state_key: row.state_key,
      sender: row.sender,
      depth: row.depth,
      prev_events: this.storage.events.prevEventIds(eventId),
      auth_events: this.storage.events.authEventIds(eventId),
      outlier: row.outlier === 1,
      rejected_reason: row.rejected_reason,
      redacted_by: row.redacted_by,
      hash_mismatch: row.hash_mismatch === 1,
      received_ts: row.received_ts,
      is_forward_extremity: this.storage.events.forwardExtremities(row.room_id).includes(eventId),
      /** The signed JSON as received or built, byte for byte. */
      json: row.json,
      state_before: row.state_group_before === null ? null : this.stateEntries(this.storage.state.getGroup(row.state_group_before)),
      state_after: row.state_group === null ? null : this.stateEntries(this.storage.state.getGroup(row.state_group)),
      auth_chain: this.authChain(eventId),
    };
  }

  /** The stored JSON alone (for a byte-exact download). */
  eventJson(eventId: string): string {
    const row = this.storage.events.getEvent(eventId);
    if (!row) throw notFound('Event not found');
    return row.json;
  }

  /** The last inbound transactions (per origin when given) with each PDU's outcome. */
  inboundTransactions(origin: string | null, limit: number) {
    return this.store.inboundTxns(origin, limit).map((t) => {
      const parsed = safeParse(t.response_json);
      const results = isJsonObject(parsed) && isJsonObject(parsed.pdus) ? parsed.pdus : {};
      const pdus = Object.entries(results).map(([eventId, r]) => {
        const stored = this.storage.events.getEvent(eventId);
        const error = isJsonObject(r) && typeof r.error === 'string' ? r.error : null;
        const reason = error ?? stored?.rejected_reason ?? null;
        return { event_id: eventId, type: stored?.type ?? null, accepted: reason === null, reason };
      });
      return { origin: t.origin, txn_id: t.txn_id, received_ts: t.received_ts, pdus };
    });
  }

  /** Every outbound queue that holds something: compared between ticks to announce changes live. */
  queues(): QueueSnapshot {
    return { federation: this.store.destinationQueues(), appservices: this.store.appserviceQueues() };
  }

  private stateContent(roomId: string, type: string): JsonObject | undefined {
    const id = this.storage.state.currentStateEventId(roomId, type, '');
    if (!id) return undefined;
    const row = this.storage.events.getEvent(id);
    const ev = row ? safeParse(row.json) : undefined;
    return isJsonObject(ev) && isJsonObject(ev.content) ? ev.content : undefined;
  }

  private stateEntries(ids: StateIds): StateEntry[] {
    const out: StateEntry[] = [];
    for (const [k, eventId] of ids) {
      if (out.length >= MAX_STATE) break;
      const [type, sk] = splitStateKey(k);
      const row = this.storage.events.getEvent(eventId);
      const ev = row ? safeParse(row.json) : undefined;
      out.push({ type, state_key: sk, event_id: eventId, sender: row?.sender ?? null, content: isJsonObject(ev) ? ev.content : null });
    }
    return out.sort((a, b) => a.type.localeCompare(b.type) || a.state_key.localeCompare(b.state_key));
  }

  /** Every event reachable through auth_events, breadth first, bounded. */
  private authChain(eventId: string) {
    const seen = new Set<string>();
    const queue = [...this.storage.events.authEventIds(eventId)];
    const out: { event_id: string; type: string | null; state_key: string | null; sender: string | null; depth: number | null; rejected_reason: string | null }[] = [];
    while (queue.length > 0 && out.length < MAX_AUTH_CHAIN) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const row: EventRow | undefined = this.storage.events.getEvent(id);
      out.push({ event_id: id, type: row?.type ?? null, state_key: row?.state_key ?? null, sender: row?.sender ?? null,
        depth: row?.depth ?? null, rejected_reason: row?.rejected_reason ?? null });
      if (row) queue.push(...this.storage.events.authEventIds(id));
    }
    return out.sort((a, b) => (a.depth ?? 0) - (b.depth ?? 0));
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Expose the queue snapshot through the service (routes never touch storage). */
export interface QueueSnapshot {
  federation: { destination: string; pending_txn_id: string | null; queue_depth: number }[];
  appservices: { as_id: string; queue_depth: number; pending_txn_id: number | null }[];
}
