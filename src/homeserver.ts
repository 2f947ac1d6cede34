// Composition root: opens storage, loads keys and wires the services together.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from './logging.js';
import type { HomeserverConfig } from './config.js';
import { openStorage, type Storage } from './storage/index.js';
import { generateSigningKey, parseSigningKeyFile, formatSigningKeyFile, type SigningKey } from './crypto/index.js';
import { EventPersister } from './rooms/persist.js';
import { RoomService } from './rooms/room-service.js';
import { Authenticator, type Requester } from './accounts/auth.js';
import { installAccounts } from './accounts/index.js';
import type { AccountService } from './accounts/account-service.js';
import type { RegistrationFlows } from './accounts/registration-flows.js';
import type { ProfileService } from './accounts/profile-service.js';
import type { PushRuleService } from './accounts/push-rules-service.js';
import { DirectoryService } from './rooms/directory-service.js';
import { Notifier } from './sync/notifier.js';
import { Metrics } from './metrics.js';
import { installSync, type SyncService } from './sync/index.js';
import { AccountDataService } from './accounts/account-data.js';
import { guestKicker } from './accounts/guests.js';
import { searchIndexer } from './search/search-service.js';
import { PusherService } from './push/pusher-sender.js';
import { installAppservices, type AppServices } from './appservice/index.js';
import { installFederation, type Federation } from './federation/index.js';
import type { JsonObject } from './events/index.js';

export interface HomeserverOptions {
  clock?: () => number;
  logger?: Logger;
}

export class Homeserver {
  readonly persister: EventPersister;
  readonly rooms: RoomService;
  readonly auth: Authenticator;
  readonly accounts: AccountService;
  readonly registration: RegistrationFlows;
  readonly profiles: ProfileService;
  readonly directory: DirectoryService;
  readonly pushRules: PushRuleService;
  readonly notifier = new Notifier();
  /** Account data and room tags (v2_alpha). */
  readonly accountData: AccountDataService;
  /** Streams, initialSync, history, typing, presence and receipts. */
  readonly sync: SyncService;
  /** Registered application services and their delivery queues. */
  readonly appservices: AppServices;
  /** HTTP pushers: notifications to push gateways. */
  readonly pushers: PusherService;
  readonly metrics = new Metrics();
  /** sha256 of each TLS certificate we serve, published in our key response. */
  tlsFingerprints: { sha256: string }[] = [];
  /** Server-server API: key fetching, inbound/outbound transactions, remote joins (null when disabled). */
  readonly federation: Federation | null;
  /** Throws 429 M_LIMIT_EXCEEDED when a requester sends too fast (set by installAccounts). */
  rateLimit: ((r: Requester) => void) | null = null;
  /** Run in reverse order on close: background senders, listeners, then the database. */
  private readonly closers: (() => void | Promise<void>)[] = [];

  constructor(
    readonly config: HomeserverConfig,
    readonly storage: Storage,
    readonly signingKey: SigningKey,
    readonly log: Logger,
    readonly clock: () => number,
  ) {
    this.accountData = new AccountDataService(storage, this.notifier);
    this.persister = new EventPersister(storage, config.serverName, signingKey, clock);
    this.rooms = new RoomService(storage, this.persister, config.serverName, clock);
    this.auth = new Authenticator(storage);
    ({ accounts: this.accounts, registration: this.registration, profiles: this.profiles, pushRules: this.pushRules } = installAccounts(this));
    // Admin rights: the `admins:` list, or a user registered as admin (shared-secret "admin": true).
    const admins = { has: (userId: string) => config.admins.includes(userId) || storage.users.getUser(userId)?.is_admin === 1 };
    this.directory = new DirectoryService(storage, this.rooms, this.persister, config.serverName, admins);
    this.persister.afterCommit.push((ev) => {
      this.metrics.eventsPersisted.inc({ origin: serverOfSender(ev.pdu.origin, config.serverName), outcome: ev.rejected ? 'rejected' : 'accepted' });
      this.notifier.notifyUsers(this.storage.state.membersWith(ev.pdu.room_id, 'join'));
      if (ev.pdu.type === 'm.room.member' && ev.pdu.state_key) this.notifier.notifyUsers([ev.pdu.state_key]);
      this.notifier.notifyRoom(ev.pdu.room_id);
    });
    this.persister.inTransaction.push(searchIndexer(this));
    this.persister.afterCommit.push(guestKicker({
      storage, serverName: config.serverName, contentOf: (id) => this.contentOf(id),
      leave: (roomId, userId) => void this.persister.createLocalEvent({ type: 'm.room.member', room_id: roomId, sender: userId, state_key: userId, content: { membership: 'leave' } }).catch((err) => this.log.warn({ err }, 'could not remove a guest from a room')),
      onError: (err) => this.log.warn({ err }, 'could not remove a guest from a room'),
    }));
    this.federation = installFederation(this);
    this.sync = installSync(this);
    if (this.federation) this.profiles.queryRemote = (userId, field) => this.federation!.queries.remoteProfile(userId, field);
    this.appservices = installAppservices(this);
    this.pushers = new PusherService(this);
  }

  get serverName(): string {
    return this.config.serverName;
  }

  onClose(fn: () => void | Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.reverse()) {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err }, 'error while shutting down');
      }
    }
    this.closers.length = 0;
    this.storage.close();
  }

  /** Membership of a user in a room's current state, or null. */
  membership(roomId: string, userId: string): string | null {
    return this.storage.state.membershipOf(roomId, userId);
  }

  contentOf(eventId: string): JsonObject | undefined {
    return this.persister.loader.pdu(eventId)?.content as JsonObject | undefined;
  }
}

function serverOfSender(origin: string, us: string): string {
  return origin === us ? 'local' : 'remote';
}

export { createLogger } from './logging.js';

/** Loads the signing key file, generating one (Synapse's format) if it does not exist yet. */
export function loadOrCreateSigningKey(path: string, log: Logger): SigningKey {
  if (!existsSync(path)) {
    const key = generateSigningKey('auto');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, formatSigningKeyFile([key]), { mode: 0o600 });
    log.info({ path, keyId: key.keyId }, 'generated a new signing key');
    return key;
  }
  const keys = parseSigningKeyFile(readFileSync(path, 'utf8'));
  if (keys.length === 0) throw new Error(`${path}: no signing key in file`);
  return keys[0];
}

export function openHomeserver(config: HomeserverConfig, opts: HomeserverOptions = {}): Homeserver {
  const log = opts.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  return openHomeserverWith(config, loadOrCreateSigningKey(config.signingKeyPath, log), { ...opts, logger: log });
}

/** With a signing key already in hand (the test kit's lives in memory only). */
export function openHomeserverWith(config: HomeserverConfig, key: SigningKey, opts: HomeserverOptions = {}): Homeserver {
  const log = opts.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  const storage = openStorage(config.databasePath);
  try {
    return new Homeserver(config, storage, key, log, opts.clock ?? Date.now);
  } catch (err) {
    storage.close();
    throw err;
  }
}
