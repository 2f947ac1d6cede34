// Wiring of application services: registrations, auth, registration of virtual users,
// exclusivity, the durable push queue and lazy user/alias queries.
import { createHash, randomBytes } from 'node:crypto';
import { ConfigError } from '../config.js';
import type { Homeserver } from '../homeserver.js';
import type { Requester } from '../accounts/auth.js';
import type { Session } from '../accounts/account-service.js';
import { MatrixError, exclusive, forbidden, notFound, unknownToken } from '../errors.js';
import { serverOf } from '../events/index.js';
import { loadRegistrationFile, checkConflicts, parseRegistration, type AppService } from './registration.js';
import { AppServiceRegistry } from './registry.js';
import { AppServiceScheduler } from './scheduler.js';
import { AppServiceQueries } from './queries.js';
import { interestedServices } from './interest.js';

/** How long after the causing request a service's transaction starts (see installAppservices). */
const AS_SEND_DELAY_MS = 25;

export class AppServices {
  readonly registry: AppServiceRegistry;
  readonly queries: AppServiceQueries;
  private readonly schedulers = new Map<string, AppServiceScheduler>();

  constructor(private readonly hs: Homeserver) {
    this.registry = new AppServiceRegistry(hs.serverName);
    this.queries = new AppServiceQueries(hs, this.registry);
  }

  /** Adds a service (from a file, or registered over HTTP): its sender user, its queue scheduler. */
  add(service: AppService): void {
    checkConflicts([...this.registry.all(), service]);
    this.registry.add(service);
    const sender = this.registry.senderOf(service);
    if (!this.hs.storage.users.getUser(sender)) {
      this.hs.accounts.createUser(sender, null, { appserviceId: service.id });
    }
    const s = new AppServiceScheduler(this.hs, service);
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
    if (!this.hs.config.appservice.enableLegacyHttpRegistration) {
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
    this.hs.storage.appservice.addLegacyRegistration(asToken, hsToken, url, JSON.stringify(namespaces), this.hs.clock());
    this.add(service);
    return { hs_token: hsToken };
  }

  stop(): void {
    for (const s of this.schedulers.values()) s.stop();
  }

  /** m.login.application_service (v1) and as_token registration on v2_alpha. */
  async register(token: string | undefined, localpart: unknown): Promise<Session> {
    const identity = token ? this.registry.byAsToken(token) : undefined;
    if (!identity) throw token ? unknownToken() : new MatrixError(401, 'M_MISSING_TOKEN', 'Application service registration needs its as_token');
    if (typeof localpart !== 'string' || localpart === '') throw new MatrixError(400, 'M_MISSING_PARAM', "Expected 'user' key.");
    const userId = `@${localpart.toLowerCase()}:${this.hs.serverName}`;
    if (!identity.canActAs(userId)) throw exclusive('Invalid user localpart for this application service.');
    this.hs.accounts.validateNewUser(localpart, { checkExclusive: false });
    return this.hs.accounts.createUser(userId, null, { appserviceId: identity.id });
  }

  /** The service behind a requester acting as that service's own sender, if any. */
  senderService(requester: Requester): AppService | undefined {
    const s = this.registry.serviceOf(requester);
    return s && this.registry.senderOf(s) === requester.userId ? s : undefined;
  }

  isInterested(service: AppService, pdu: Parameters<typeof interestedServices>[2]): boolean {
    return interestedServices(this.hs.storage, this.registry, pdu).includes(service);
  }

  /** Writes queue rows for every interested service, inside the event's transaction. */
  enqueue(pdu: Parameters<typeof interestedServices>[2]): string[] {
    const ids = interestedServices(this.hs.storage, this.registry, pdu).map((s) => s.id);
    for (const id of ids) this.hs.storage.appservice.enqueue(id, pdu.event_id, this.hs.clock());
    return ids;
  }
}

/** Loads registrations (a bad file stops start-up with a ConfigError naming it) and plugs in. */
export function installAppservices(hs: Homeserver): AppServices {
  const as = new AppServices(hs);
  const files = hs.config.appServiceConfigFiles.map(loadRegistrationFile);
  checkConflicts(files);
  for (const s of files) as.add(s);
  for (const row of hs.storage.appservice.legacyRegistrations()) {
    as.add(parseRegistration(legacyToRegistration(row.as_token, row.hs_token, row.url, JSON.parse(row.namespaces_json)), 'legacy HTTP registration'));
  }

  hs.auth.appservices = as.registry;
  hs.accounts.exclusiveUserCheck = (userId) => as.registry.checkUserNotExclusive(userId);
  hs.registration.v1Types.set('m.login.application_service', (body, ctx) => as.register(ctx.accessToken, body.user ?? body.username));
  hs.registration.v2AppserviceHandler = (body, ctx) => as.register(ctx.accessToken, body.username ?? body.user);
  hs.rooms.hooks.checkAliasExclusive = (alias, requester) => as.registry.checkAlias(alias, requester);
  hs.rooms.hooks.queryAppserviceAlias = (alias) => as.queries.alias(alias);
  hs.rooms.hooks.ensureUser = async (userId) => {
    if (serverOf(userId) === hs.serverName) await as.queries.user(userId);
  };
  hs.profiles.queryAppserviceUser = (userId) => as.queries.user(userId);

  const pending = new Set<string>();
  hs.persister.inTransaction.push((ev) => {
    if (ev.outlier || ev.backfilled || ev.rejected) return;
    for (const id of as.enqueue(ev.pdu)) pending.add(id);
  });
  hs.persister.afterCommit.push(() => {
    const ids = [...pending];
    pending.clear();
    for (const id of ids) {
      const service = as.registry.byId(id);
      if (service) hs.notifier.notifyUsers([as.registry.senderOf(service)]); // its /events covers the namespaces
    }
    // The transaction goes out shortly after the request that caused it has been answered, as
    // with Synapse's background AS scheduler: a service acting through the client API (an
    // invite, then waiting for its event) reads its answer before the event; events of the
    // window share a transaction.
    setTimeout(() => {
      for (const id of ids) as.scheduler(id)?.kick();
    }, AS_SEND_DELAY_MS).unref();
  });
  hs.onClose(() => as.stop());
  return as;
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
