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

/** How many attempts are kept per queue target. */
export const KEPT_ATTEMPTS = 50;

/** Client connections per access token (for whois) and recent outbound delivery attempts. */
export class AdminStore {
  private readonly upsertIp;
  private readonly selectIps;
  private readonly insertAttempt;
  private readonly trimAttempts;
  private readonly selectAttempts;

  constructor(db: Db) {
    this.upsertIp = db.prepare(`INSERT INTO client_ips (token_hash, user_id, ip, user_agent, last_seen) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(token_hash, ip, user_agent) DO UPDATE SET last_seen = excluded.last_seen`);
    this.selectIps = db.prepare('SELECT * FROM client_ips WHERE user_id = ? ORDER BY last_seen DESC LIMIT 100');
    this.insertAttempt = db.prepare(`INSERT INTO delivery_attempts (queue, target, txn_id, ts, status, detail, url, body)
      VALUES (@queue, @target, @txn_id, @ts, @status, @detail, @url, @body)`);
    this.trimAttempts = db.prepare(`DELETE FROM delivery_attempts WHERE queue = ? AND target = ? AND id <=
      (SELECT id FROM delivery_attempts WHERE queue = ? AND target = ? ORDER BY id DESC LIMIT 1 OFFSET ${KEPT_ATTEMPTS})`);
    this.selectAttempts = db.prepare(`SELECT * FROM delivery_attempts WHERE queue = ? AND target = ? ORDER BY id DESC LIMIT ${KEPT_ATTEMPTS}`);
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
