// Where a server name is reached (federation-v1.md §1.1): host:port if a port is given, else the
// _matrix._tcp SRV record, else host:8448. Loopback peers may be spoken to in plain HTTP.
import { promises as dns } from 'node:dns';

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
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(serverName);
  if (!m) throw new Error(`Invalid server name ${JSON.stringify(serverName)}`);
  return { host: m[1]!, port: m[2] !== undefined ? Number(m[2]) : null };
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
