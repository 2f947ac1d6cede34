// Operators' read-only views: who is connected as a user (whois, Synapse 2015's shape), and the
// state of every outbound queue: application services and federation destinations.
import type { ServerConfig } from '../config.js';
import type { Storage } from '../storage/index.js';
import type { DeliveryAttemptRow, DeliveryQueue, DestinationStatusRow } from '../storage/admin.js';
import type { Requester } from '../accounts/auth.js';
import type { AppService } from '../appservice/registration.js';
import { MatrixError, forbidden, notFound } from '../errors.js';
import { serverOf } from '../events/index.js';

/** The few things the admin views read about application services. */
export interface AppServiceDirectory {
  all(): readonly AppService[];
  byId(id: string): AppService | undefined;
  senderOf(s: AppService): string;
}

export interface AdminDeps {
  storage: Storage;
  config: ServerConfig;
  appservices: AppServiceDirectory;
  clock: () => number;
}

export interface TransactionView {
  txn_id: string;
  ts: number;
  status: 'delivered' | 'failed';
  error: string | null;
  url: string | null;
  body?: unknown;
}

const MAX_ID_LENGTH = 255;

export class AdminService {
  constructor(private readonly deps: AdminDeps) {}

  /** Server admins: the `admins:` config list, and users registered with `"admin": true`. */
  isAdmin(userId: string): boolean {
    return this.deps.config.admins.includes(userId) || this.deps.storage.users.getUser(userId)?.is_admin === 1;
  }

  requireAdmin(who: Requester): void {
    if (!this.isAdmin(who.userId)) throw forbidden('You are not a server admin');
  }

  /**
   * GET /admin/whois/{userId}: an admin may ask about anyone, a user about themselves (as in
   * Synapse). One session per access token; its connections are the (ip, user agent) pairs seen.
   */
  whois(who: Requester, userId: string) {
    if (userId.length > MAX_ID_LENGTH || !/^@[^:]+:.+$/.test(userId)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Not a user id');
    if (userId !== who.userId) this.requireAdmin(who);
    if (serverOf(userId) !== this.deps.config.serverName) throw new MatrixError(400, 'M_UNKNOWN', 'Can only whois a local user');
    if (!this.deps.storage.users.getUser(userId)) throw notFound(`No user ${userId}`);
    const sessions = new Map<string, { ip: string; last_seen: number; user_agent: string }[]>();
    for (const r of this.deps.storage.admin.clientIps(userId)) {
      const list = sessions.get(r.token_hash) ?? [];
      list.push({ ip: r.ip, last_seen: r.last_seen, user_agent: r.user_agent });
      sessions.set(r.token_hash, list);
    }
    return {
      user_id: userId,
      devices: { '': { sessions: [...sessions.values()].map((connections) => ({ connections })) } },
    };
  }

  /** GET /admin/appservices: one summary per registered service. */
  appservices() {
    return { appservices: this.deps.appservices.all().map((s) => this.appserviceStatus(s)) };
  }

  /** GET /admin/appservices/{id}: the summary plus the last 50 attempts (bodies on request). */
  appservice(id: string, bodies: boolean) {
    const s = this.deps.appservices.byId(id);
    if (!s) throw notFound(`No application service '${id}'`);
    return { ...this.appserviceStatus(s), transactions: this.attempts('appservice', id, bodies) };
  }

  /** The retry endpoint's checks: 404 for an unknown id, then admins or the service itself. */
  checkRetry(who: Requester, id: string): void {
    if (!this.deps.appservices.byId(id)) throw notFound(`No application service '${id}'`);
    if (who.appserviceId !== id && !this.isAdmin(who.userId)) throw forbidden('You need to be a server admin or the application service');
  }

  /** GET /admin/federation/destinations */
  destinations() {
    return { destinations: this.deps.storage.admin.destinations().map((d) => this.destinationStatus(d)) };
  }

  /** GET /admin/federation/destinations/{server} */
  destination(server: string, bodies: boolean) {
    if (server.length > MAX_ID_LENGTH) throw notFound(`No destination '${server.slice(0, 64)}...'`);
    const d = this.deps.storage.admin.destinations().find((r) => r.destination === server);
    if (!d) throw notFound(`No destination '${server}'`);
    return { ...this.destinationStatus(d), transactions: this.attempts('federation', server, bodies) };
  }

  private appserviceStatus(s: AppService) {
    const store = this.deps.storage.appservice;
    const st = store.state(s.id);
    const inFlight = store.oldestTxn(s.id);
    const list = (kind: 'users' | 'aliases' | 'rooms') => s.namespaces[kind].map((n) => ({ regex: n.source, exclusive: n.exclusive }));
    return {
      id: s.id,
      url: s.url,
      sender: this.deps.appservices.senderOf(s),
      namespaces: { users: list('users'), aliases: list('aliases'), rooms: list('rooms') },
      queue_depth: store.queueDepth(s.id),
      in_flight_txn_id: inFlight ? String(inFlight.txn_id) : null,
      last_delivered_txn_id: st.last_txn_id ? String(st.last_txn_id) : null,
      last_error: st.last_error,
      backoff_ms: st.backoff_ms,
      next_retry_ts: st.next_retry_ts > 0 ? st.next_retry_ts : null,
    };
  }

  private destinationStatus(d: DestinationStatusRow) {
    const latest = this.deps.storage.admin.attempts('federation', d.destination)[0];
    return {
      destination: d.destination,
      queue_depth: d.queue_depth,
      in_flight_txn_id: d.pending_txn_id,
      last_error: latest && latest.status === 'failed' ? latest.detail : null,
      backoff_ms: d.retry_interval,
      next_retry_ts: d.retry_interval > 0 ? d.retry_last_ts + d.retry_interval : null,
    };
  }

  private attempts(queue: DeliveryQueue, target: string, bodies: boolean): TransactionView[] {
    return this.deps.storage.admin.attempts(queue, target).map((a: DeliveryAttemptRow) => ({
      txn_id: a.txn_id,
      ts: a.ts,
      status: a.status,
      error: a.detail,
      url: a.url,
      ...(bodies && a.body !== null ? { body: parseOrText(a.body) } : {}),
    }));
  }
}

function parseOrText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
