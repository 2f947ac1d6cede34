import type { Db } from './db.js';

export interface QueueRow {
  id: number;
  destination: string;
  event_id: string | null;
  edu_json: string | null;
}

export interface DestinationRow {
  destination: string;
  retry_last_ts: number;
  retry_interval: number;
  pending_txn_id: string | null;
  pending_max_id: number | null;
  pending_body: string | null;
}

/** Outbound per-destination queues, their retry state, and answered inbound transactions. */
export class FederationStore {
  private readonly insertQueue;
  private readonly selectQueue;
  private readonly deleteQueue;
  private readonly countQueue;
  private readonly selectWork;
  private readonly selectDest;
  private readonly ensureDest;
  private readonly setPendingStmt;
  private readonly clearPendingStmt;
  private readonly setRetryStmt;
  private readonly selectInbound;
  private readonly insertInbound;

  constructor(db: Db) {
    this.insertQueue = db.prepare(
      'INSERT INTO federation_outbound_queue (destination, event_id, edu_json, created_ts) VALUES (?, ?, ?, ?)',
    );
    this.selectQueue = db.prepare(
      'SELECT id, destination, event_id, edu_json FROM federation_outbound_queue WHERE destination = ? ORDER BY id LIMIT ?',
    );
    this.deleteQueue = db.prepare('DELETE FROM federation_outbound_queue WHERE destination = ? AND id <= ?');
    this.countQueue = db.prepare('SELECT count(*) AS n FROM federation_outbound_queue WHERE destination = ?');
    this.selectWork = db.prepare(`SELECT DISTINCT destination FROM federation_outbound_queue
      UNION SELECT destination FROM federation_destinations WHERE pending_txn_id IS NOT NULL`);
    this.selectDest = db.prepare('SELECT * FROM federation_destinations WHERE destination = ?');
    this.ensureDest = db.prepare('INSERT OR IGNORE INTO federation_destinations (destination) VALUES (?)');
    this.setPendingStmt = db.prepare(
      'UPDATE federation_destinations SET pending_txn_id = ?, pending_max_id = ?, pending_body = ? WHERE destination = ?',
    );
    this.clearPendingStmt = db.prepare(`UPDATE federation_destinations SET pending_txn_id = NULL, pending_max_id = NULL,
      pending_body = NULL, retry_last_ts = 0, retry_interval = 0 WHERE destination = ?`);
    this.setRetryStmt = db.prepare('UPDATE federation_destinations SET retry_last_ts = ?, retry_interval = ? WHERE destination = ?');
    this.selectInbound = db.prepare('SELECT response_json FROM federation_inbound_txns WHERE origin = ? AND txn_id = ?');
    this.insertInbound = db.prepare(
      'INSERT OR IGNORE INTO federation_inbound_txns (origin, txn_id, response_json, received_ts) VALUES (?, ?, ?, ?)',
    );
  }

  enqueuePdu(destination: string, eventId: string, now: number): void {
    this.insertQueue.run(destination, eventId, null, now);
  }

  enqueueEdu(destination: string, eduJson: string, now: number): void {
    this.insertQueue.run(destination, null, eduJson, now);
  }

  /** The oldest queued items for a destination, in order. */
  queued(destination: string, limit: number): QueueRow[] {
    return this.selectQueue.all(destination, limit) as QueueRow[];
  }

  queueDepth(destination: string): number {
    return (this.countQueue.get(destination) as { n: number }).n;
  }

  /** Destinations with queued items or a transaction still to deliver (to resume after a restart). */
  destinationsWithWork(): string[] {
    return (this.selectWork.all() as { destination: string }[]).map((r) => r.destination);
  }

  destination(destination: string): DestinationRow {
    this.ensureDest.run(destination);
    return this.selectDest.get(destination) as DestinationRow;
  }

  /** Records the transaction about to be sent; it is resent verbatim until acknowledged. */
  setPending(destination: string, txnId: string, maxId: number, body: string): void {
    this.ensureDest.run(destination);
    this.setPendingStmt.run(txnId, maxId, body, destination);
  }

  /** The pending transaction was answered: drop its items and forget the backoff. */
  acknowledge(destination: string, maxId: number): void {
    this.deleteQueue.run(destination, maxId);
    this.clearPendingStmt.run(destination);
  }

  setRetry(destination: string, lastTs: number, interval: number): void {
    this.ensureDest.run(destination);
    this.setRetryStmt.run(lastTs, interval, destination);
  }

  inboundTxn(origin: string, txnId: string): string | undefined {
    return (this.selectInbound.get(origin, txnId) as { response_json: string } | undefined)?.response_json;
  }

  recordInboundTxn(origin: string, txnId: string, responseJson: string, now: number): void {
    this.insertInbound.run(origin, txnId, responseJson, now);
  }
}
