// What the route tables may call: the services, never the storage nor the write path. A route
// that reaches for `storage` or `persister` does not compile. The composition root's object
// satisfies it structurally (buildApp(hs)).
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { Authenticator } from '../accounts/auth.js';
import type { AccountService } from '../accounts/account-service.js';
import type { RegistrationFlows } from '../accounts/registration-flows.js';
import type { ProfileService } from '../accounts/profile-service.js';
import type { PushRuleService } from '../accounts/push-rules-service.js';
import type { AccountDataService } from '../accounts/account-data.js';
import type { DirectoryService } from '../rooms/directory-service.js';
import type { ClientRoomRequests } from '../rooms/client-requests.js';
import type { SyncService } from '../sync/index.js';
import type { Notifier } from '../sync/notifier.js';
import type { AppServices } from '../appservice/index.js';
import type { Federation } from '../federation/index.js';
import type { KeyServer } from '../federation/key-server.js';
import type { PusherService } from '../push/pusher-sender.js';
import type { SearchService } from '../search/search-service.js';
import type { MediaRepository } from '../media/index.js';
import type { E2eKeys } from '../e2e/keys.js';
import type { AdminService } from '../admin/admin-service.js';
import type { ClientIps } from '../admin/client-ips.js';
import type { Inspector } from '../inspector/index.js';
import type { Metrics } from '../metrics.js';

/** The federation pieces the server-server routes call (null when federation is off). */
export type FederationApi = Pick<Federation, 'keyring' | 'outbound' | 'transactions' | 'server' | 'joins' | 'invites' | 'queries'>;

export interface Api {
  readonly config: ServerConfig;
  readonly serverName: string;
  readonly log: Logger;
  readonly clock: () => number;
  readonly metrics: Metrics;
  readonly notifier: Pick<Notifier, 'shutdown'>;

  readonly auth: Authenticator;
  readonly accounts: Pick<AccountService, 'loginV1' | 'logout' | 'refreshTokens' | 'registerGuest'>;
  readonly registration: Pick<RegistrationFlows, 'registerV1' | 'registerV2'>;
  readonly profiles: Pick<ProfileService, 'get' | 'set'>;
  readonly pushRules: PushRuleService;
  readonly accountData: AccountDataService;
  readonly clientIps: Pick<ClientIps, 'record'>;

  readonly roomRequests: ClientRoomRequests;
  readonly directory: Pick<DirectoryService, 'resolve' | 'create' | 'delete' | 'publicRooms'>;
  readonly sync: SyncService;
  readonly search: Pick<SearchService, 'search'>;
  readonly pushers: Pick<PusherService, 'set'>;
  readonly e2eKeys: E2eKeys;
  readonly media: MediaRepository;

  readonly appservices: Pick<AppServices, 'registerLegacy' | 'retryNow'>;
  readonly federation: FederationApi | null;
  readonly keyServer: KeyServer;

  readonly admin: AdminService;
  /** Null when the inspector is disabled. */
  readonly inspector: Inspector | null;
}
