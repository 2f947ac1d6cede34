// Federation, built in three phases by the composition root (each only from what exists by then):
//   outbound: the signing HTTP client, the keyring, the per-destination queues and the EDU sender,
//             whose persister listeners queue our events inside their own transaction;
//   remote:   what needs the persister: inbound PDUs, joins, invites, backfill, alias and profile
//             queries to other servers (the RemoteRooms and RemoteProfiles ports);
//   serving:  what answers other servers: transactions (EDUs to the sync services), the graph
//             read API, queries (which resolve our aliases through the room service), TLS.
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { Storage } from '../storage/index.js';
import type { Metrics } from '../metrics.js';
import type { SigningKey } from '../crypto/index.js';
import type { Pdu } from '../events/index.js';
import type { EventPersister } from '../rooms/persist.js';
import type { EventLoader } from '../rooms/event-loader.js';
import type { RoomService } from '../rooms/room-service.js';
import type { RemoteRooms } from '../rooms/ports.js';
import type { RemoteProfiles } from '../accounts/ports.js';
import { FederationClient } from './client.js';
import { Keyring } from './keyring.js';
import { EventGraph } from './event-graph.js';
import { InboundPdus } from './inbound.js';
import { Outbound } from './outbound.js';
import { TransactionReceiver } from './transactions.js';
import { FederationServer } from './serve.js';
import { Joins } from './joins.js';
import { Invites } from './invites.js';
import { QueryServer, RemoteQueries } from './queries.js';
import { Backfiller } from './backfill.js';
import { EduReceiver, FederationEdus, type RemoteEduSink } from './edus.js';
import type { TlsMaterial } from './tls.js';

export { tlsListener, loadOrCreateCertificate, type TlsMaterial } from './tls.js';

export type { RemoteEduSink } from './edus.js';

/** How long rejecting a remote invite waits for the leave to reach the inviting server. */
const AWAIT_DELIVERY_MS = 5000;

export interface FederationOutboundDeps {
  config: ServerConfig;
  storage: Storage;
  serverName: string;
  signingKey: SigningKey;
  clock: () => number;
  log: Logger;
  metrics: Metrics;
}

/** Phase 1: before the persister (its listeners queue our events for the other servers). */
export class FederationOutbound {
  readonly client: FederationClient;
  readonly keyring: Keyring;
  readonly graph: EventGraph;
  readonly outbound: Outbound;
  /** Typing, presence and receipts out (the sync services' EduSender). */
  readonly edus: FederationEdus;

  constructor(deps: FederationOutboundDeps) {
    const fed = deps.config.federation;
    this.client = new FederationClient(deps.serverName, deps.signingKey, {
      plainHttpLoopback: fed.plainHttpLoopbackPeers, timeoutMs: fed.requestTimeoutMs, clock: deps.clock,
      backoffMinMs: fed.retryBackoffMinMs, backoffMaxMs: fed.retryBackoffMaxMs,
    });
    const log = deps.log.child({ component: 'federation' });
    this.keyring = new Keyring(deps.storage, this.client, deps.serverName, deps.signingKey, deps.clock, log);
    this.graph = new EventGraph(deps.storage);
    this.outbound = new Outbound({
      storage: deps.storage, config: deps.config, log: deps.log, clock: deps.clock, metrics: deps.metrics,
      serverName: deps.serverName, client: this.client, graph: this.graph,
    });
    this.edus = new FederationEdus(deps.storage, this.outbound);
  }

  async close(): Promise<void> {
    await this.outbound.close();
    await this.client.close();
  }
}

export interface FederationRemoteDeps {
  storage: Storage;
  persister: EventPersister;
  serverName: string;
  signingKey: SigningKey;
  clock: () => number;
  log: Logger;
}

/** Phase 2: after the persister; gives the room and profile services their remote side. */
export class FederationRemote {
  readonly inbound: InboundPdus;
  readonly joins: Joins;
  readonly invites: Invites;
  readonly backfiller: Backfiller;
  readonly queries: RemoteQueries;
  /** The RemoteRooms port of the room service. */
  readonly rooms: RemoteRooms;
  /** The RemoteProfiles port of the profile service. */
  readonly profiles: RemoteProfiles;

  constructor(deps: FederationRemoteDeps, out: FederationOutbound) {
    const { client, keyring, outbound, graph } = out;
    this.inbound = new InboundPdus(deps.storage, deps.persister, deps.serverName, deps.clock, deps.log, client, keyring);
    this.joins = new Joins(deps, client, keyring, this.inbound, outbound, graph);
    this.invites = new Invites(deps, client, keyring, this.inbound, outbound);
    this.backfiller = new Backfiller(deps.storage, deps.serverName, deps.log, client, this.inbound);
    this.queries = new RemoteQueries(client);
    const { joins, invites, backfiller, queries } = this;
    this.rooms = {
      joinRemoteRoom: (roomId, userId, servers) => joins.joinRemoteRoom(roomId, userId, servers),
      inviteRemoteUser: (roomId, sender, target) => invites.inviteRemoteUser(roomId, sender, target),
      queryRemoteAlias: (alias) => queries.remoteAlias(alias),
      backfill: (roomId, limit) => backfiller.backfill(roomId, limit),
      awaitDelivery: (pdu: Pdu) => outbound.flushed(outbound.destinationsFor(pdu), AWAIT_DELIVERY_MS),
    };
    this.profiles = { query: (userId, field) => queries.remoteProfile(userId, field) };
  }
}

export interface FederationServingDeps {
  config: ServerConfig;
  storage: Storage;
  serverName: string;
  clock: () => number;
  log: Logger;
  loader: EventLoader;
  rooms: Pick<RoomService, 'lookupAlias'>;
  /** Remote typing, presence and receipts go to the sync services. */
  edus: RemoteEduSink;
  /** The certificate of federation.port, when we serve one (published in our key responses). */
  tls: TlsMaterial | null;
}

/** Phase 3: what answers other servers. */
export class FederationServing {
  readonly edus: EduReceiver;
  readonly transactions: TransactionReceiver;
  readonly server: FederationServer;
  readonly queries: QueryServer;
  /** The TLS certificate of federation.port, when we serve one. */
  readonly tls: TlsMaterial | null;

  constructor(deps: FederationServingDeps, out: FederationOutbound, remote: FederationRemote) {
    this.tls = deps.tls;
    this.edus = new EduReceiver(deps.storage, deps.serverName, out.outbound, deps.edus);
    this.transactions = new TransactionReceiver(deps.storage, deps.clock, deps.log, remote.inbound, out.keyring, this.edus.handlers);
    this.server = new FederationServer(deps.serverName, deps.clock, deps.loader, out.graph);
    this.queries = new QueryServer(deps.storage, deps.serverName, deps.rooms);
  }
}

/** The three phases together: what routes and tests reach as `federation`. */
export class Federation {
  readonly client: FederationClient;
  readonly keyring: Keyring;
  readonly graph: EventGraph;
  readonly outbound: Outbound;
  readonly inbound: InboundPdus;
  readonly joins: Joins;
  readonly invites: Invites;
  readonly backfiller: Backfiller;
  readonly transactions: TransactionReceiver;
  readonly server: FederationServer;
  readonly queries: QueryServer;
  readonly tls: TlsMaterial | null;

  constructor(out: FederationOutbound, remote: FederationRemote, serving: FederationServing) {
    ({ client: this.client, keyring: this.keyring, graph: this.graph, outbound: this.outbound } = out);
    ({ inbound: this.inbound, joins: this.joins, invites: this.invites, backfiller: this.backfiller } = remote);
    ({ transactions: this.transactions, server: this.server, queries: this.queries, tls: this.tls } = serving);
  }

  /**
   * Older events of a room from other servers, for /messages when it runs out of local history:
   * resolves to how many events were added (0 when there is nothing more to fetch).
   */
  backfill(roomId: string, limit: number): Promise<number> {
    return this.backfiller.backfill(roomId, limit);
  }
}
