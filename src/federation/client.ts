// Outbound federation HTTP: every request to /_matrix/federation is X-Matrix signed. Certificates
// are not validated (2015 servers used self-signed ones); identity comes from signing keys.
import { Agent } from 'undici';
import type { SigningKey } from '../crypto/index.js';
import { PeerResolver, PeerHealth } from './peers.js';
import { authorizationHeader } from './x-matrix.js';

export interface FedResponse {
  status: number;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
}

export interface FedRequestOptions {
  /** JSON body (PUT/POST); sent and signed as given. */
  body?: unknown;
  /** Pre-serialised body text for `body`, to send the exact bytes of stored events. */
  bodyText?: string;
  timeoutMs?: number;
  /** Unsigned requests (key server). */
  unsigned?: boolean;
  /** Fail at once, without connecting, while the destination is in its failure backoff. */
  respectBackoff?: boolean;
}

/** Fetches that unauthenticated requests can trigger (keys, media) run at most this many at once. */
const OUTBOUND_FETCH_SLOTS = 16;
const OUTBOUND_FETCH_QUEUE = 256;

/** Thrown for connection failures and timeouts: the request may be retried. */
export class PeerUnreachableError extends Error {
  /** What a client or peer may be told: which server, not why (no socket errors, no addresses). */
  readonly publicMessage: string;

  constructor(readonly destination: string, detail: string) {
    super(`${destination}: ${detail}`);
    this.publicMessage = `could not reach ${destination}`;
  }
}

/** IDs go into paths unencoded where that is legal, as Synapse sends them (`/state/!r:hs/`). */
export function pathSegment(id: string): string {
  return encodeURIComponent(id).replace(/%(21|24|3A|40|2C|2B|3D)/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export class FederationClient {
  private readonly agent: Agent;
  private readonly resolver: PeerResolver;
  private readonly aborter = new AbortController();
  /** Reachability of peers, shared with the key fetcher and remote media. */
  readonly peers: PeerHealth;

  constructor(
    private readonly serverName: string,
    private readonly key: SigningKey,
    private readonly opts: { plainHttpLoopback: boolean; timeoutMs: number; clock: () => number; backoffMinMs: number; backoffMaxMs: number },
  ) {
    this.peers = new PeerHealth({
      minMs: opts.backoffMinMs, maxMs: opts.backoffMaxMs, concurrency: OUTBOUND_FETCH_SLOTS, queueMax: OUTBOUND_FETCH_QUEUE, clock: opts.clock,
    });
    this.agent = new Agent({
      connect: { rejectUnauthorized: false, timeout: Math.min(opts.timeoutMs, 20_000) },
      keepAliveTimeout: 30_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    this.resolver = new PeerResolver(opts.plainHttpLoopback, opts.clock);
  }

  async request(destination: string, method: string, path: string, o: FedRequestOptions = {}): Promise<FedResponse> {
    if (this.aborter.signal.aborted) throw new PeerUnreachableError(destination, 'federation client is closed');
    if (o.respectBackoff && this.peers.backoffMs(destination) > 0) throw new PeerUnreachableError(destination, 'not retrying yet (backoff)');
    let origin: string;
    try {
      ({ origin } = await this.resolver.resolve(destination));
    } catch (err) {
      this.peers.failed(destination);
      throw new PeerUnreachableError(destination, `cannot resolve: ${(err as Error).message}`);
    }
    const headers: Record<string, string> = { host: destination };
    let payload: string | undefined;
    if (o.body !== undefined || o.bodyText !== undefined) {
      payload = o.bodyText ?? JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    if (!o.unsigned) {
      const content = o.body !== undefined ? o.body : o.bodyText !== undefined ? JSON.parse(o.bodyText) : undefined;
      headers.authorization = authorizationHeader({ method, uri: path, origin: this.serverName, destination, content }, this.key);
    }
    const timeout = AbortSignal.timeout(o.timeoutMs ?? this.opts.timeoutMs);
    try {
      const res = await this.agent.request({
        origin, path, method: method as 'GET', headers, body: payload,
        signal: AbortSignal.any([timeout, this.aborter.signal]),
      });
      const text = await res.body.text();
      this.peers.succeeded(destination);
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, text, json };
    } catch (err) {
      if (!this.aborter.signal.aborted) this.peers.failed(destination);
      throw new PeerUnreachableError(destination, `${method} ${path.split('?')[0]}: ${(err as Error).message}`);
    }
  }

  /** Like request, but a non-2xx answer is an error carrying the peer's status. */
  async requestOk(destination: string, method: string, path: string, o: FedRequestOptions = {}): Promise<FedResponse> {
    const res = await this.request(destination, method, path, o);
    if (res.status < 200 || res.status >= 300) {
      throw new PeerRequestError(res.status, `${destination} answered ${res.status} to ${method} ${path.split('?')[0]}: ${res.text.slice(0, 200)}`, res);
    }
    return res;
  }

  async close(): Promise<void> {
    this.aborter.abort();
    await this.agent.close().catch(() => undefined);
  }
}

export class PeerRequestError extends Error {
  constructor(readonly status: number, message: string, readonly response: FedResponse) {
    super(message);
  }
}
