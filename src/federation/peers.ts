// Where a server name is reached (federation-v1.md §1.1): host:port if a port is given, else the
// _matrix._tcp SRV record, else host:8448. Loopback peers may be spoken to in plain HTTP.
import { promises as dns } from 'node:dns';
import { BoundedGate } from '../gate.js';

// A slow or absent DNS server must not hold a request (e.g. an unauthenticated peer's key fetch) for long.
const resolver = new dns.Resolver({ timeout: 3000, tries: 2 });

const DEFAULT_PORT = 8448;
const SRV_CACHE_MS = 60 * 60 * 1000;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;

export interface PeerAddress {
  /** e.g. "http://localhost:8009" or "https://example.org:8448" */
  origin: string;
}

export function splitServerName(serverName: string): { host: string; port: number | null } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(serverName);
  const port = m?.[2] !== undefined ? Number(m[2]) : null;
  if (!m || (port !== null && (port < 1 || port > 65535))) throw new Error(`Invalid server name ${JSON.stringify(serverName)}`);
  return { host: m[1]!, port };
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

export class PeerResolver {
  private readonly srvCache = new Map<string, { host: string; port: number; until: number }>();

  constructor(private readonly plainHttpLoopback: boolean, private readonly clock: () => number) {}

  async resolve(serverName: string): Promise<PeerAddress> {
    const { host, port } = splitServerName(serverName);
    const scheme = this.plainHttpLoopback && isLoopbackHost(host) ? 'http' : 'https';
    if (port !== null) return { origin: `${scheme}://${host}:${port}` };
    const target = await this.srv(host);
    return { origin: `${scheme}://${target.host}:${target.port}` };
  }

  private async srv(host: string): Promise<{ host: string; port: number }> {
    const hit = this.srvCache.get(host);
    if (hit && hit.until > this.clock()) return hit;
    let target = { host, port: DEFAULT_PORT };
    try {
      const records = await resolver.resolveSrv(`_matrix._tcp.${host}`);
      records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
      const first = records[0];
      if (first && first.name !== '.' && first.name !== '') target = { host: first.name, port: first.port };
    } catch {
      // No SRV record: the default port on the host itself.
    }
    this.srvCache.set(host, { ...target, until: this.clock() + SRV_CACHE_MS });
    return target;
  }
}

export interface PeerHealthOptions {
  /** First backoff after a failure; doubles with each further failure up to maxMs. */
  minMs: number;
  maxMs: number;
  /** Outbound fetches (keys, media) running at once, and how many may wait for a slot. */
  concurrency: number;
  queueMax: number;
  clock: () => number;
}

/** Thrown instead of connecting to a server that failed recently (or when too many fetches wait). */
export class PeerBackingOff extends Error {}

const MAX_TRACKED = 10_000;

/**
 * What we know about reaching other servers, shared by every outbound path (federation requests,
 * key fetches, remote media): a server that could not be reached is left alone for a backoff that
 * doubles per failure; any answer clears it. Fetches that unauthenticated requests can trigger
 * (keys, media) check it first and run through a bounded number of slots, so a flood of requests
 * naming servers cannot turn us into a port scanner or exhaust sockets.
 */
export class PeerHealth {
  private readonly failures = new Map<string, { until: number; interval: number }>();
  private readonly gate: BoundedGate;

  constructor(private readonly opts: PeerHealthOptions) {
    this.gate = new BoundedGate(opts.concurrency, opts.queueMax, () => new PeerBackingOff('too many outbound fetches waiting'));
  }

  /** Milliseconds before `server` should be contacted again (0: now). */
  backoffMs(server: string): number {
    const f = this.failures.get(server);
    return f ? Math.max(0, f.until - this.opts.clock()) : 0;
  }

  failed(server: string): void {
    const prev = this.failures.get(server);
    const interval = Math.min(this.opts.maxMs, Math.max(this.opts.minMs, (prev?.interval ?? 0) * 2));
    this.failures.delete(server); // re-insert: the map stays ordered by last failure
    this.failures.set(server, { until: this.opts.clock() + interval, interval });
    if (this.failures.size > MAX_TRACKED) this.prune();
  }

  succeeded(server: string): void {
    this.failures.delete(server);
  }

  /** Throws PeerBackingOff while `server` is in its backoff. */
  checkReachable(server: string): void {
    if (this.backoffMs(server) > 0) throw new PeerBackingOff(`not retrying ${server} yet`);
  }

  /** Runs `fn` in one of the bounded outbound slots (waiting for one if need be). */
  slot<T>(fn: () => Promise<T>): Promise<T> {
    return this.gate.run(fn);
  }

  private prune(): void {
    const now = this.opts.clock();
    for (const [k, f] of this.failures) if (f.until <= now) this.failures.delete(k);
    for (const k of this.failures.keys()) {
      if (this.failures.size <= MAX_TRACKED) break;
      this.failures.delete(k);
    }
  }
}
