import type { Db } from './db.js';
import type { EventRow } from './events.js';

export interface RoomSummaryRow {
  room_id: string;
  created_ts: number;
  event_count: number;
  last_ts: number | null;
}

export interface InboundTxnRow {
  origin: string;
  txn_id: string;
  response_json: string;
  received_ts: number;
}

/** Read-only queries for the admin inspector: whole-table views no request path needs. */
export class InspectorStore {
  private readonly rooms;
  private readonly latest;
  private readonly latestBefore;
  private readonly inbound;
  private readonly inboundFrom;
  private readonly destinationsStmt;
  private readonly appserviceQueuesStmt;

  constructor(db: Db) {
    // Every room we hold events of (rooms we joined over federation have no `rooms` row).
    this.rooms = db.prepare(`SELECT e.room_id AS room_id, coalesce(r.created_ts, min(e.origin_server_ts)) AS created_ts,
      count(*) AS event_count, max(e.received_ts) AS last_ts
      FROM events e LEFT JOIN rooms r ON r.room_id = e.room_id GROUP BY e.room_id ORDER BY last_ts DESC LIMIT ?`);
    // Insertion order (rowid): outliers and rejected events included, paging with "before".
    this.latest = db.prepare('SELECT rowid AS pos, * FROM events WHERE room_id = ? ORDER BY rowid DESC LIMIT ?');
    this.latestBefore = db.prepare('SELECT rowid AS pos, * FROM events WHERE room_id = ? AND rowid < ? ORDER BY rowid DESC LIMIT ?');
    this.inbound = db.prepare('SELECT * FROM federation_inbound_txns ORDER BY received_ts DESC, rowid DESC LIMIT ?');
    this.destinationsStmt = db.prepare(`SELECT u.destination AS destination, d.pending_txn_id AS pending_txn_id,
      (SELECT count(*) FROM federation_outbound_queue q WHERE q.destination = u.destination) AS queue_depth
      FROM (SELECT destination FROM federation_outbound_queue UNION SELECT destination FROM federation_destinations) AS u
      LEFT JOIN federation_destinations d ON d.destination = u.destination ORDER BY u.destination`);
    this.appserviceQueuesStmt = db.prepare(`SELECT as_id, count(*) AS queue_depth, (SELECT min(txn_id) FROM appservice_txns t
      WHERE t.as_id = q.as_id) AS pending_txn_id FROM appservice_queue q GROUP BY as_id ORDER BY as_id`);
    this.inboundFrom = db.prepare('SELECT * FROM federation_inbound_txns WHERE origin = ? ORDER BY received_ts DESC, rowid DESC LIMIT ?');
  }

  roomSummaries(limit: number): RoomSummaryRow[] {
    return this.rooms.all(limit) as RoomSummaryRow[];
  }

  /** The newest `limit` events of a room stored before position `before` (all when null). */
  latestEvents(roomId: string, before: number | null, limit: number): (EventRow & { pos: number })[] {
    const rows = before === null ? this.latest.all(roomId, limit) : this.latestBefore.all(roomId, before, limit);
    return rows as (EventRow & { pos: number })[];
  }

  inboundTxns(origin: string | null, limit: number): InboundTxnRow[] {
    return (origin === null ? this.inbound.all(limit) : this.inboundFrom.all(origin, limit)) as InboundTxnRow[];
  }

  /** Queue depth and the transaction in flight of every federation destination (for change detection). */
  destinationQueues(): { destination: string; pending_txn_id: string | null; queue_depth: number }[] {
    return this.destinationsStmt.all() as { destination: string; pending_txn_id: string | null; queue_depth: number }[];
  }

  appserviceQueues(): { as_id: string; queue_depth: number; pending_txn_id: number | null }[] {
    return this.appserviceQueuesStmt.all() as { as_id: string; queue_depth: number; pending_txn_id: number | null }[];
  }
}
