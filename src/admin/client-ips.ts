// Where each access token is used from (ip, user agent, last seen), for the admin whois API.
// Like Synapse's client_ips, a connection is written at most once a minute, not on every request.
import type { Storage } from '../storage/index.js';

const WRITE_EVERY_MS = 60_000;
const MAX_REMEMBERED = 10_000;
const MAX_USER_AGENT = 512;

export class ClientIps {
  /** (token, ip, agent) -> when we last wrote it. */
  private readonly written = new Map<string, number>();

  constructor(private readonly storage: Storage, private readonly clock: () => number) {}

  record(tokenHash: string, userId: string, ip: string, userAgent: string | undefined): void {
    const agent = (userAgent ?? '').slice(0, MAX_USER_AGENT);
    const key = `${tokenHash}\n${ip}\n${agent}`;
    const now = this.clock();
    const last = this.written.get(key);
    if (last !== undefined && now - last < WRITE_EVERY_MS) return;
    if (this.written.size >= MAX_REMEMBERED) this.written.clear();
    this.written.set(key, now);
    if (this.storage.db.open) this.storage.admin.recordClientIp(tokenHash, userId, ip, agent, now);
  }
}
