import { openDatabase, type Db } from './db.js';
import { UsersStore } from './users.js';
import { ClientTxnsStore } from './client-txns.js';
import { RoomsStore } from './rooms.js';
import { EventsStore } from './events.js';
import { EventReadsStore } from './event-reads.js';
import { StateStore } from './state.js';
import { FederationStore } from './federation.js';
import { ServerKeysStore } from './server-keys.js';
import { PresenceStore } from './presence.js';
import { ReceiptsStore } from './receipts.js';
import { AppServiceStore } from './appservice.js';
import { MediaStore } from './media.js';
import { PushRulesStore } from './push-rules.js';
import { AdminStore } from './admin.js';
import { AccountDataStore } from './account-data.js';
import { E2eKeysStore } from './e2e-keys.js';
import { SearchStore } from './search.js';
import { PushersStore } from './pushers.js';
import { RefreshTokensStore } from './refresh-tokens.js';
import { ForgottenMembershipsStore } from './forgotten.js';

/** Every table group behind one handle; services get this, never the raw database. */
export class Storage {
  readonly users: UsersStore;
  readonly clientTxns: ClientTxnsStore;
  readonly rooms: RoomsStore;
  readonly events: EventsStore;
  /** Batched reads of many events at once (the read side). */
  readonly eventReads: EventReadsStore;
  readonly state: StateStore;
  readonly federation: FederationStore;
  readonly serverKeys: ServerKeysStore;
  readonly presence: PresenceStore;
  readonly receipts: ReceiptsStore;
  readonly appservice: AppServiceStore;
  readonly media: MediaStore;
  readonly pushRules: PushRulesStore;
  /** Client connections and delivery attempts, for the admin API. */
  readonly admin: AdminStore;
  readonly accountData: AccountDataStore;
  readonly e2eKeys: E2eKeysStore;
  readonly search: SearchStore;
  readonly pushers: PushersStore;
  readonly refreshTokens: RefreshTokensStore;
  readonly forgotten: ForgottenMembershipsStore;

  constructor(readonly db: Db) {
    this.users = new UsersStore(db);
    this.clientTxns = new ClientTxnsStore(db);
    this.rooms = new RoomsStore(db);
    this.events = new EventsStore(db);
    this.eventReads = new EventReadsStore(db);
    this.state = new StateStore(db);
    this.federation = new FederationStore(db);
    this.serverKeys = new ServerKeysStore(db);
    this.presence = new PresenceStore(db);
    this.receipts = new ReceiptsStore(db);
    this.appservice = new AppServiceStore(db);
    this.media = new MediaStore(db);
    this.pushRules = new PushRulesStore(db);
    this.admin = new AdminStore(db);
    this.accountData = new AccountDataStore(db);
    this.e2eKeys = new E2eKeysStore(db);
    this.search = new SearchStore(db);
    this.pushers = new PushersStore(db);
    this.refreshTokens = new RefreshTokensStore(db);
    this.forgotten = new ForgottenMembershipsStore(db);
  }

  /** Runs fn in one synchronous SQLite transaction (never across an await). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function openStorage(path: string): Storage {
  return new Storage(openDatabase(path));
}
