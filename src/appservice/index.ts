// Wiring of application services: registrations, auth, registration of virtual users,
// exclusivity, the durable push queue and lazy user/alias queries.
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import { ConfigError, type ServerConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { Requester } from '../accounts/auth.js';
import type { AccountService, Session } from '../accounts/account-service.js';
import type { UserNamespaces, UserWaker } from '../accounts/ports.js';
import type { AppserviceRegistrar } from '../accounts/registration-flows.js';
import type { AppserviceRooms } from '../rooms/ports.js';
import type { AfterCommitListener, InTransactionListener } from '../rooms/persist.js';
import type { AppserviceView } from '../sync/ports.js';
import type { ClientEvents } from '../sync/client-events.js';
import { MatrixError, exclusive, forbidden, notFound, unknownToken } from '../errors.js';
import { serverOf } from '../events/index.js';
import { loadRegistrationFile, checkConflicts, parseRegistration, type AppService } from './registration.js';
import { AppServiceRegistry } from './registry.js';
import { AppServiceScheduler } from './scheduler.js';
import { AppServiceQueries } from './queries.js';
import { interestedServices } from './interest.js';

/** How long after the causing request a service's transaction starts (see AppServices.afterCommit). */
const AS_SEND_DELAY_MS = 25;

/**
 * The registered services, as data: registration files (a bad file stops start-up with a
 * ConfigError naming it) and the legacy HTTP registrations kept in the database.
 */
export function loadAppServiceRegistry(serverName: string, files: readonly string[], storage: Storage): AppServiceRegistry {
  const registry = new AppServiceRegistry(serverName);
  const loaded = files.map(loadRegistrationFile);
  for (const row of storage.appservice.legacyRegistrations()) {
    loaded.push(parseRegistration(legacyToRegistration(row.as_token, row.hs_token, row.url, JSON.parse(row.namespaces_json)), 'legacy HTTP registration'));
  }
  checkConflicts(loaded);
  for (const s of loaded) registry.add(s);
  return registry;
}

/** User namespaces as accounts/ see them: exclusivity (a policy, never skipped) and lazy user queries. */
export function appserviceUserNamespaces(registry: AppServiceRegistry, queries: AppServiceQueries): UserNamespaces {
  return {
    checkUserNotExclusive: (userId) => registry.checkUserNotExclusive(userId),
    queryUser: (userId) => queries.user(userId),
  };
}

/** Alias exclusivity and lazy alias/user queries as rooms/ see them. */
export function appserviceRooms(registry: AppServiceRegistry, queries: AppServiceQueries, serverName: string): AppserviceRooms {
  return {
    checkAliasExclusive: (alias, requester) => registry.checkAlias(alias, requester),
    queryAlias: (alias) => queries.alias(alias),
    ensureUser: async (userId) => {
      if (serverOf(userId) === serverName) await queries.user(userId);
    },
  };
}

/** m.login.application_service (v1) and as_token registration on v2_alpha. */
export class AppServiceRegistrar implements AppserviceRegistrar {
  constructor(private readonly registry: AppServiceRegistry, private readonly accounts: AccountService, private readonly serverName: string) {}

  async register(token: string | undefined, localpart: unknown): Promise<Session> {
    const identity = token ? this.registry.byAsToken(token) : undefined;
    if (!identity) throw token ? unknownToken() : new MatrixError(401, 'M_MISSING_TOKEN', 'Application service registration needs its as_token');
    if (typeof localpart !== 'string' || localpart === '') throw new MatrixError(400, 'M_MISSING_PARAM', "Expected 'user' key.");
    const userId = `@${localpart.toLowerCase()}:${this.serverName}`;
    if (!identity.canActAs(userId)) throw exclusive('Invalid user localpart for this application service.');
    this.accounts.validateNewUser(localpart, { checkExclusive: false });
    return this.accounts.createUser(userId, null, { appserviceId: identity.id });
  }
}

export interface AppServicesDeps {
  storage: Storage;
  serverName: string;
  config: Pick<ServerConfig, 'appservice'>;
  log: Logger;
  clock: () => number;
  metrics: Metrics;
  notifier: UserWaker;
  accounts: Pick<AccountService, 'createUser'>;
  /** The client-event formatter shared with sync/. */
  events: ClientEvents;
  registry: AppServiceRegistry;
  queries: AppServiceQueries;
}

/**
 * Delivery to the registered services: the durable push queue (rows written inside the event's
 * transaction), one scheduler per service, and the event stream's view of their namespaces.
 */
export class AppServices implements AppserviceView {
  readonly registry: AppServiceRegistry;
  readonly queries: AppServiceQueries;
  private readonly schedulers = new Map<string, AppServiceScheduler>();
  /** Services with rows queued by the transaction being committed. */
  private readonly pending = new Set<string>();

  constructor(private readonly deps: AppServicesDeps) {
    this.registry = deps.registry;
    this.queries = deps.queries;
    for (const s of this.registry.all()) this.start(s);
  }

  /** Adds a service registered at run time (over HTTP, or by the test kit). */
  add(service: AppService): void {
    checkConflicts([...this.registry.all(), service]);
    this.registry.add(service);
    this.start(service);
  }

  /** Its sender user, its queue scheduler. */
  private start(service: AppService): void {
    const sender = this.registry.senderOf(service);
    if (!this.deps.storage.users.getUser(sender)) {
      this.deps.accounts.createUser(sender, null, { appserviceId: service.id });
    }
    const d = this.deps;
    const s = new AppServiceScheduler(service, {
      store: d.storage.appservice, attempts: d.storage.admin, formatEvent: (id) => d.events.formatId(id),
      clock: d.clock, config: d.config.appservice, log: d.log, metrics: d.metrics,
    });
    this.schedulers.set(service.id, s);
    s.kick(); // resume whatever was queued before a restart
  }

  scheduler(id: string): AppServiceScheduler | undefined {
    return this.schedulers.get(id);
  }

  /** Sends a service's queue now instead of waiting out its backoff (the caller checked who may). */
  retryNow(id: string): void {
    const s = this.schedulers.get(id);
    if (!s) throw notFound(`No application service '${id}'`);
    s.retryNow();
  }

  /**
   * POST /_matrix/appservice/v1/register {"as_token", "url", "namespaces"}: the early-2015 way,
   * only when the operator enabled it (it lets anyone who can reach the server claim namespaces).
   * Validated like a registration file, saved, and only then live: an acknowledged registration
   * survives a restart.
   */
  registerLegacy(body: Record<string, unknown>): { hs_token: string } {
    if (!this.deps.config.appservice.enableLegacyHttpRegistration) {
      throw forbidden('Registering application services over HTTP is disabled; list a registration file in app_service_config_files');
    }
    const { as_token: asToken, url } = body;
    if (typeof asToken !== 'string' || typeof url !== 'string') throw new MatrixError(400, 'M_BAD_JSON', "Expected string 'as_token' and 'url'");
    const namespaces = body.namespaces ?? {};
    if (typeof namespaces !== 'object' || namespaces === null || Array.isArray(namespaces)) throw new MatrixError(400, 'M_BAD_JSON', "'namespaces' must be an object");
    const hsToken = randomBytes(32).toString('hex');
    let service: AppService;
    try {
      // A bad regex or a clash with a registered service is the caller's mistake.
      service = parseRegistration(legacyToRegistration(asToken, hsToken, url, namespaces as Record<string, unknown>), 'legacy HTTP registration');
      checkConflicts([...this.registry.all(), service]);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new MatrixError(400, 'M_UNKNOWN', e.message.replace(/^legacy HTTP registration: /, ''));
    }
    this.deps.storage.appservice.addLegacyRegistration(asToken, hsToken, url, JSON.stringify(namespaces), this.deps.clock());
    this.add(service);
    return { hs_token: hsToken };
  }

  /** Resolves once every request in flight has been answered. */
  async stop(): Promise<void> {
    await Promise.all([...this.schedulers.values()].map((s) => s.stop()));
  }

  /** The service behind a requester acting as that service's own sender, if any. */
  senderService(requester: Requester): AppService | undefined {
    const s = this.registry.serviceOf(requester);
    return s && this.registry.senderOf(s) === requester.userId ? s : undefined;
  }

  senderServiceId(requester: Requester): string | undefined {
    return this.senderService(requester)?.id;
  }

  isInterested(serviceId: string, pdu: Parameters<typeof interestedServices>[2]): boolean {
    return interestedServices(this.deps.storage, this.registry, pdu).some((s) => s.id === serviceId);
  }

  /** Writes queue rows for every interested service, inside the event's transaction. */
  enqueue(pdu: Parameters<typeof interestedServices>[2]): string[] {
    const ids = interestedServices(this.deps.storage, this.registry, pdu).map((s) => s.id);
    for (const id of ids) this.deps.storage.appservice.enqueue(id, pdu.event_id, this.deps.clock());
    return ids;
  }

  /** Persister listener, inside the event's transaction. */
  readonly inTransaction: InTransactionListener = (ev) => {
    if (ev.outlier || ev.backfilled || ev.rejected) return;
    for (const id of this.enqueue(ev.pdu)) this.pending.add(id);
  };

  /** Persister listener, after commit. */
  readonly afterCommit: AfterCommitListener = () => {
    const ids = [...this.pending];
    this.pending.clear();
    for (const id of ids) {
      const service = this.registry.byId(id);
      if (service) this.deps.notifier.notifyUsers([this.registry.senderOf(service)]); // its /events covers the namespaces
    }
    // The transaction goes out shortly after the request that caused it has been answered, as
    // with Synapse's background AS scheduler: a service acting through the client API (an
    // invite, then waiting for its event) reads its answer before the event; events of the
    // window share a transaction.
    if (ids.length === 0) return;
    setTimeout(() => {
      for (const id of ids) this.schedulers.get(id)?.kick();
    }, AS_SEND_DELAY_MS).unref();
  };
}

/** The early-2015 HTTP registration body as a registration file would say it. */
export function legacyToRegistration(asToken: string, hsToken: string, url: string, namespaces: Record<string, unknown>) {
  const list = (v: unknown) =>
    Array.isArray(v) ? v.map((n) => (typeof n === 'string' ? { regex: n, exclusive: true } : n)) : [];
  return {
    url, as_token: asToken, hs_token: hsToken,
    sender_localpart: `_appservice_${createHash('sha256').update(asToken).digest('hex').slice(0, 12)}`,
    namespaces: { users: list(namespaces.users), aliases: list(namespaces.aliases), rooms: list(namespaces.rooms) },
  };
}
