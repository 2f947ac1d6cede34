// Composition root: opens storage, loads keys and builds every service in dependency order,
// handing each only the collaborators it uses. Nothing is assigned after construction; an
// optional feature (federation) is a no-op port when off; shutdown runs in reverse build order.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from './logging.js';
import type { ServerConfig } from './config.js';
import { openStorage, type Storage } from './storage/index.js';
import { parseSigningKeyFile, formatSigningKeyFile, type SigningKey } from './crypto/index.js';
import { newSigningKey } from './random.js';
import { Metrics } from './metrics.js';
import type { ListenerStarter } from './listen.js';
import { EventLoader } from './rooms/event-loader.js';
import { EventPersister, type AfterCommitListener } from './rooms/persist.js';
import { RoomService } from './rooms/room-service.js';
import { DirectoryService } from './rooms/directory-service.js';
import { guestKicker } from './rooms/guest-kicker.js';
import { noRemoteRooms, type RemoteRooms } from './rooms/ports.js';
import type { Authenticator, Requester } from './accounts/auth.js';
import { buildAccounts, buildRegistration } from './accounts/index.js';
import type { AccountService } from './accounts/account-service.js';
import type { RegistrationFlows } from './accounts/registration-flows.js';
import { ProfileService } from './accounts/profile-service.js';
import { PushRuleService } from './accounts/push-rules-service.js';
import { AccountDataService } from './accounts/account-data.js';
import { noRemoteProfiles, type RemoteProfiles } from './accounts/ports.js';
import { Notifier } from './sync/notifier.js';
import {
  SyncService, ClientEvents, HistoryVisibility, PresenceService, TypingService, ReceiptService, presenceOnJoin,
} from './sync/index.js';
import { noEduSender, type EduSender } from './sync/ports.js';
import {
  AppServices, AppServiceRegistrar, loadAppServiceRegistry, appserviceRooms, appserviceUserNamespaces,
} from './appservice/index.js';
import { AppServiceQueries } from './appservice/queries.js';
import {
  Federation, FederationOutbound, FederationRemote, FederationServing, loadOrCreateCertificate, tlsListener, type RemoteEduSink,
} from './federation/index.js';
import { SearchService } from './search/search-service.js';
import { SearchIndexer } from './search/indexer.js';
import { PusherService } from './push/pusher-sender.js';
import { buildMedia } from './media/index.js';
import type { MediaRepository } from './media/media-repository.js';
import { buildInspector, type Inspector } from './inspector/index.js';
import { ClientTxns } from './rooms/client-txns.js';
import { ClientRoomRequests } from './rooms/client-requests.js';
import { IdentityLookup } from './rooms/identity-lookup.js';
import { KeyServer } from './federation/key-server.js';
import { E2eKeys } from './e2e/keys.js';
import { federationRemoteKeys } from './e2e/remote-keys.js';
import { AdminService } from './admin/admin-service.js';
import { ClientIps } from './admin/client-ips.js';

export interface HomeserverOptions {
  clock?: () => number;
  logger?: Logger;
}

export class Homeserver {
  readonly metrics = new Metrics();
  readonly notifier: Notifier;
  readonly auth: Authenticator;
  readonly accounts: AccountService;
  /** Throws 429 M_LIMIT_EXCEEDED when a requester sends too fast. */
  readonly rateLimit: (r: Requester) => void;
  readonly registration: RegistrationFlows;
  readonly pushRules: PushRuleService;
  /** Account data and room tags (v2_alpha). */
  readonly accountData: AccountDataService;
  /** Registered application services and their delivery queues. */
  readonly appservices: AppServices;
  /** HTTP pushers: notifications to push gateways. */
  readonly pushers: PusherService;
  /** The admin inspector's service and live feed (null when the config disables it). */
  readonly inspector: Inspector | null;
  readonly persister: EventPersister;
  readonly rooms: RoomService;
  readonly directory: DirectoryService;
  readonly profiles: ProfileService;
  /** Streams, initialSync, history, typing, presence and receipts. */
  readonly sync: SyncService;
  /** Server-server API: key fetching, inbound/outbound transactions, remote joins (null when disabled). */
  readonly federation: Federation | null;
  /** sha256 of each TLS certificate we serve, published in our key response. */
  readonly tlsFingerprints: { sha256: string }[];
  /** Listeners beside the client port (the federation TLS port), started by src/listen.ts. */
  readonly extraListeners: readonly ListenerStarter[];
  /** POST /search */
  readonly search: SearchService;
  readonly media: MediaRepository;
  /** Stops what runs in the background, in reverse build order; then the database closes. */
  private readonly shutdown: { name: string; close: () => void | Promise<void> }[];
  // What only the HTTP routes call (src/http/api.ts).
  readonly clientTxns: ClientTxns;
  readonly roomRequests: ClientRoomRequests;
  readonly keyServer: KeyServer;
  readonly e2eKeys: E2eKeys;
  readonly admin: AdminService;
  readonly clientIps: ClientIps;

  constructor(
    readonly config: ServerConfig,
    readonly storage: Storage,
    readonly signingKey: SigningKey,
    readonly log: Logger,
    readonly clock: () => number,
  ) {
    const { serverName } = config;
    const { metrics } = this;
    const notifier = (this.notifier = new Notifier((userId) => storage.state.joinedRoomIds(userId)));
    const loader = new EventLoader(storage);
    // The federation TLS certificate (generated on first start), like the signing key: before anything runs.
    const fed = config.federation;
    const tls = fed.enabled && fed.tls && fed.port !== null ? loadOrCreateCertificate(config, log) : null;

    // Application services as data (files and legacy rows), and the lazy user/alias queries.
    const registry = loadAppServiceRegistry(serverName, config.appServiceConfigFiles, storage);
    const asQueries = new AppServiceQueries(storage, config, log, registry);
    const namespaces = appserviceUserNamespaces(registry, asQueries);

    // Accounts: exclusivity of service namespaces and as_token authentication are given, not plugged in.
    ({ accounts: this.accounts, auth: this.auth, rateLimit: this.rateLimit } = buildAccounts({ config, storage, clock, namespaces, tokens: registry }));
    this.registration = buildRegistration(config, this.accounts, clock, new AppServiceRegistrar(registry, this.accounts, serverName));
    this.accountData = new AccountDataService(storage, notifier);
    this.pushRules = new PushRuleService(storage);

    // Federation, outbound: the client, keyring and queues (the persister's listeners fill them).
    const fedOut = fed.enabled
      ? new FederationOutbound({ config, storage, serverName, signingKey, clock, log, metrics })
      : null;
    const edus: EduSender = fedOut ? fedOut.edus : noEduSender;

    // Application-service delivery, with the client-event formatter shared with sync.
    const events = new ClientEvents(storage, loader, clock);
    const visibility = new HistoryVisibility(storage, loader);
    this.appservices = new AppServices({
      storage, serverName, config, log, clock, metrics, notifier, accounts: this.accounts, events, registry, queries: asQueries,
    });

    // Presence, typing, receipts; pushers and the inspector's feed (all listen to the persister).
    const presence = new PresenceService(storage, serverName, clock, config, notifier, edus);
    const typing = new TypingService(storage, serverName, notifier, edus);
    const receipts = new ReceiptService(storage, clock, notifier, edus);
    this.pushers = new PusherService(storage, loader, clock, log, events, this.pushRules);
    const inspector = (this.inspector = config.inspector.enabled ? buildInspector({ storage, config, appservices: registry, clock }) : null);

    // The single write path, with every listener it will ever call.
    const searchIndexer = new SearchIndexer(storage);
    this.persister = new EventPersister(storage, serverName, signingKey, clock, loader, {
      inTransaction: [
        ...(fedOut ? [fedOut.outbound.inTransaction] : []),
        this.appservices.inTransaction,
      ],
      afterCommit: [
        // Guests leave a room that stops allowing them before its readers are woken by the change.
        guestKicker(storage, serverName, (err) => log.warn({ err }, 'could not remove a guest from a room')),
        wakeReaders(storage, metrics, notifier, serverName),
        ...(fedOut ? [fedOut.outbound.afterCommit] : []),
        presenceOnJoin(presence),
        this.appservices.afterCommit,
        this.pushers.afterCommit,
        searchIndexer.afterCommit,
        ...(inspector ? [inspector.live.afterCommit] : []),
      ],
    });

    // Federation, remote: joins, invites, backfill, alias and profile queries to other servers.
    const fedRemote = fedOut
      ? new FederationRemote({ storage, persister: this.persister, serverName, signingKey, clock, log }, fedOut)
      : null;
    const remoteRooms: RemoteRooms = fedRemote ? fedRemote.rooms : noRemoteRooms;
    const remoteProfiles: RemoteProfiles = fedRemote ? fedRemote.profiles : noRemoteProfiles;

    // Rooms and the directory. Admin rights: the `admins:` list, or a user registered as admin.
    const asRooms = appserviceRooms(registry, asQueries, serverName);
    this.rooms = new RoomService(storage, this.persister, serverName, clock, remoteRooms, asRooms);
    const admins = { has: (userId: string) => config.admins.includes(userId) || storage.users.getUser(userId)?.is_admin === 1 };
    this.directory = new DirectoryService(storage, this.rooms, this.persister, serverName, admins, asRooms);
    this.profiles = new ProfileService(storage, this.rooms, serverName, remoteProfiles, namespaces, presence);

    this.sync = new SyncService({
      storage, loader, notifier, metrics, log, accountData: this.accountData, appservices: this.appservices,
      rooms: this.rooms, remote: remoteRooms, events, visibility, typing, presence, receipts,
    });

    // Federation, serving: transactions (EDUs to the sync services), the graph, queries, TLS.
    const eduSink: RemoteEduSink = {
      setRemoteTyping: (roomId, userId, t) => typing.setRemote(roomId, userId, t),
      setRemotePresence: (userId, update) => presence.setRemote(userId, update),
      setRemoteReceipt: (roomId, type, userId, ids, data) => receipts.setRemote(roomId, type, userId, ids, data),
      localPresence: (userId) => presence.localPresence(userId),
    };
    const fedServing = fedOut && fedRemote
      ? new FederationServing({ config, storage, serverName, clock, log, loader, rooms: this.rooms, edus: eduSink, tls }, fedOut, fedRemote)
      : null;
    this.federation = fedOut && fedRemote && fedServing ? new Federation(fedOut, fedRemote, fedServing) : null;
    this.tlsFingerprints = tls ? [{ sha256: tls.fingerprint }] : [];
    this.extraListeners = tls ? [tlsListener(tls, config)] : [];

    this.search = new SearchService(storage, events, visibility, searchIndexer);
    searchIndexer.schedule(); // what a previous run committed but did not index
    const media = buildMedia({ config, storage, serverName, signingKey, clock, log, peers: fedOut ? fedOut.client.peers : null });
    this.media = media.repository;

    this.shutdown = [
      { name: 'search indexer', close: () => searchIndexer.stop() },
      { name: 'media', close: media.close },
      ...(inspector ? [{ name: 'inspector', close: () => inspector.live.stop() }] : []),
      { name: 'pushers', close: () => this.pushers.close() },
      { name: 'sync', close: () => this.sync.close() }, // typing timeouts, the presence sweeper
      { name: 'appservices', close: () => this.appservices.stop() },
      ...(fedOut ? [{ name: 'federation', close: () => fedOut.close() }] : []),
    ];

    // What only the HTTP routes call: client transaction ids, room requests, keys, admin.
    this.clientTxns = new ClientTxns(storage.clientTxns, clock);
    const identity = new IdentityLookup();
    this.shutdown.unshift({ name: 'identity lookups', close: () => identity.close() });
    this.roomRequests = new ClientRoomRequests({
      rooms: this.rooms, txns: this.clientTxns, rateLimit: this.rateLimit, identity,
    });
    this.keyServer = new KeyServer({
      serverName, signingKey, clock,
      tlsFingerprints: () => this.tlsFingerprints,
      tlsCertificate: () => (tls ? tls.der : null),
      cachedResponse: fedOut ? (server, min) => fedOut.keyring.cachedResponse(server, min) : null,
    });
    this.e2eKeys = new E2eKeys(storage, serverName, federationRemoteKeys(fedOut ? fedOut.client : null, log), clock);
    this.admin = new AdminService({ storage, config, appservices: registry, clock });
    this.clientIps = new ClientIps(storage, clock);
  }

  get serverName(): string {
    return this.config.serverName;
  }

  async close(): Promise<void> {
    for (const { name, close } of this.shutdown.splice(0)) {
      try {
        await close();
      } catch (err) {
        this.log.error({ err, component: name }, 'error while shutting down');
      }
    }
    this.storage.close();
  }
}

/** After each commit: count it, and wake the long-polls that may now see it. */
function wakeReaders(storage: Storage, metrics: Metrics, notifier: Notifier, serverName: string): AfterCommitListener {
  return (ev) => {
    metrics.eventsPersisted.inc({ origin: ev.pdu.origin === serverName ? 'local' : 'remote', outcome: ev.rejected ? 'rejected' : 'accepted' });
    // The room's waiters (its joined members and readers from outside), and the member whose
    // membership changed, whose waits cover their rooms as they were.
    notifier.notifyRoom(ev.pdu.room_id);
    if (ev.pdu.type === 'm.room.member' && ev.pdu.state_key) notifier.notifyUsers([ev.pdu.state_key]);
  };
}

export { createLogger } from './logging.js';

/** Loads the signing key file, generating one (Synapse's format) if it does not exist yet. */
export function loadOrCreateSigningKey(path: string, log: Logger): SigningKey {
  if (!existsSync(path)) {
    const key = newSigningKey('auto');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, formatSigningKeyFile([key]), { mode: 0o600 });
    log.info({ path, keyId: key.keyId }, 'generated a new signing key');
    return key;
  }
  const keys = parseSigningKeyFile(readFileSync(path, 'utf8'));
  if (keys.length === 0) throw new Error(`${path}: no signing key in file`);
  return keys[0];
}

export function openHomeserver(config: ServerConfig, opts: HomeserverOptions = {}): Homeserver {
  const log = opts.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  return openHomeserverWith(config, loadOrCreateSigningKey(config.signingKeyPath, log), { ...opts, logger: log });
}

/** With a signing key already in hand (the test kit's lives in memory only). */
export function openHomeserverWith(config: ServerConfig, key: SigningKey, opts: HomeserverOptions = {}): Homeserver {
  const log = opts.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  const storage = openStorage(config.databasePath);
  try {
    return new Homeserver(config, storage, key, log, opts.clock ?? Date.now);
  } catch (err) {
    storage.close();
    throw err;
  }
}
