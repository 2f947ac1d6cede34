import type { Db } from './db.js';

export interface ClientIpRow {
  token_hash: string;
  user_id: string;
  ip: string;
  user_agent: string;
  last_seen: number;
}

export type DeliveryQueue = 'appservice' | 'federation';

export interface DeliveryAttemptRow {
  id: number;
  queue: DeliveryQueue;
  target: string;
  txn_id: string;
  ts: number;
  status: 'delivered' | 'failed';
  detail: string | null;
  url: string | null;
  body: string | null;
}

export interface DestinationStatusRow {
  destination: string;
  queue_depth: number;
  retry_last_ts: number;
  retry_interval: number;
  pending_txn_id: string | null;
}

/** How many attempts are kept per queue target. */
export const KEPT_ATTEMPTS = 50;

/** Client connections per access token (for whois) and recent outbound delivery attempts. */
export class AdminStore {
  private readonly upsertIp;
  private readonly selectIps;
  private readonly insertAttempt;
  private readonly trimAttempts;
  private readonly selectAttempts;
  private readonly selectDestinations;

  constructor(db: Db) {
    this.upsertIp = db.prepare(`INSERT INTO client_ips (token_hash, user_id, ip, user_agent, last_seen) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(token_hash, ip, user_agent) DO UPDATE SET last_seen = excluded.last_seen`);
    this.selectIps = db.prepare('SELECT * FROM client_ips WHERE user_id = ? ORDER BY last_seen DESC LIMIT 100');
    this.insertAttempt = db.prepare(`INSERT INTO delivery_attempts (queue, target, txn_id, ts, status, detail, url, body)
      VALUES (@queue, @target, @txn_id, @ts, @status, @detail, @url, @body)`);
    this.trimAttempts = db.prepare(`DELETE FROM delivery_attempts WHERE queue = ? AND target = ? AND id <=
      (SELECT id FROM delivery_attempts WHERE queue = ? AND target = ? ORDER BY id DESC LIMIT 1 OFFSET ${KEPT_ATTEMPTS})`);
    this.selectDestinations = db.prepare(`WITH names AS (
        SELECT destination FROM federation_destinations
        UNION SELECT destination FROM federation_outbound_queue
        UNION SELECT target FROM delivery_attempts WHERE queue = 'federation')
      SELECT n.destination,
        (SELECT count(*) FROM federation_outbound_queue q WHERE q.destination = n.destination) AS queue_depth,
        coalesce(d.retry_last_ts, 0) AS retry_last_ts, coalesce(d.retry_interval, 0) AS retry_interval, d.pending_txn_id
      FROM names n LEFT JOIN federation_destinations d ON d.destination = n.destination ORDER BY n.destination`);
    this.selectAttempts = db.prepare(`SELECT * FROM delivery_attempts WHERE queue = ? AND target = ? ORDER BY id DESC LIMIT ${KEPT_ATTEMPTS}`);
  }

  /** Every destination we have queued for, tried, or hold retry state about. */
  destinations(): DestinationStatusRow[] {
    return this.selectDestinations.all() as DestinationStatusRow[];
  }

  recordClientIp(tokenHash: string, userId: string, ip: string, userAgent: string, now: number): void {
    this.upsertIp.run(tokenHash, userId, ip, userAgent, now);
  }

  clientIps(userId: string): ClientIpRow[] {
    return this.selectIps.all(userId) as ClientIpRow[];
  }

  recordAttempt(a: Omit<DeliveryAttemptRow, 'id'>): void {
    this.insertAttempt.run(a);
    this.trimAttempts.run(a.queue, a.target, a.queue, a.target);
  }

  /** The most recent attempts first. */
  attempts(queue: DeliveryQueue, target: string): DeliveryAttemptRow[] {
    return this.selectAttempts.all(queue, target) as DeliveryAttemptRow[];
  }
}
