// Federation wiring: one Federation per homeserver, filling in the room hooks and the write-path
// hooks, with the TLS listener registered for server names without a port.
import type { Homeserver } from '../homeserver.js';
import { extraListeners } from '../listen.js';
import { FederationClient } from './client.js';
import { Keyring } from './keyring.js';
import { EventGraph } from './event-graph.js';
import { InboundPdus } from './inbound.js';
import { Outbound } from './outbound.js';
import { TransactionReceiver } from './transactions.js';
import { FederationServer } from './serve.js';
import { Joins } from './joins.js';
import { Invites } from './invites.js';
import { Queries } from './queries.js';
import { Backfiller } from './backfill.js';
import { Edus } from './edus.js';
import { loadOrCreateCertificate, tlsListener, type TlsMaterial } from './tls.js';

export class Federation {
  readonly client: FederationClient;
  readonly keyring: Keyring;
  readonly graph: EventGraph;
  readonly inbound: InboundPdus;
  readonly outbound: Outbound;
  readonly transactions: TransactionReceiver;
  readonly server: FederationServer;
  readonly joins: Joins;
  readonly invites: Invites;
  readonly queries: Queries;
  readonly backfiller: Backfiller;
  readonly edus: Edus;
  tls: TlsMaterial | null = null;

  constructor(readonly hs: Homeserver) {
    const fed = hs.config.federation;
    this.client = new FederationClient(hs.serverName, hs.signingKey, {
      plainHttpLoopback: fed.plainHttpLoopbackPeers, timeoutMs: fed.requestTimeoutMs, clock: hs.clock,
      backoffMinMs: fed.retryBackoffMinMs, backoffMaxMs: fed.retryBackoffMaxMs,
    });
    const log = hs.log.child({ component: 'federation' });
    this.keyring = new Keyring(hs.storage, this.client, hs.serverName, hs.signingKey, hs.clock, log);
    this.graph = new EventGraph(hs.storage);
    this.inbound = new InboundPdus(hs, this.client, this.keyring);
    this.outbound = new Outbound(hs, this.client, this.graph);
    this.transactions = new TransactionReceiver(hs, this.inbound, this.keyring);
    this.server = new FederationServer(hs, this.graph);
    this.joins = new Joins(hs, this.client, this.keyring, this.inbound, this.outbound, this.graph);
    this.invites = new Invites(hs, this.client, this.keyring, this.inbound, this.outbound);
    this.queries = new Queries(hs, this.client);
    this.backfiller = new Backfiller(hs, this.client, this.inbound);
    this.edus = new Edus(hs, this.outbound, this.transactions);
  }

  /**
   * Older events of a room from other servers, for /messages when it runs out of local history:
   * resolves to how many events were added (0 when there is nothing more to fetch).
   */
  backfill(roomId: string, limit: number): Promise<number> {
    return this.backfiller.backfill(roomId, limit);
  }

  async close(): Promise<void> {
    await this.outbound.close();
    await this.client.close();
  }
}

const tlsByServer = new WeakMap<Homeserver, TlsMaterial>();
extraListeners.push(async (hs, app) => {
  const tls = tlsByServer.get(hs);
  return tls ? tlsListener(tls)(hs, app) : null;
});

/** Called once from the Homeserver constructor; null when federation is disabled. */
export function installFederation(hs: Homeserver): Federation | null {
  const fed = hs.config.federation;
  if (!fed.enabled) return null;
  const f = new Federation(hs);
  if (fed.tls && fed.port !== null) {
    f.tls = loadOrCreateCertificate(hs.config, hs.log);
    tlsByServer.set(hs, f.tls);
    hs.tlsFingerprints = [{ sha256: f.tls.fingerprint }];
  }
  hs.rooms.hooks.joinRemoteRoom = (roomId, userId, servers) => f.joins.joinRemoteRoom(roomId, userId, servers);
  hs.rooms.hooks.queryRemoteAlias = (alias) => f.queries.remoteAlias(alias);
  hs.rooms.hooks.inviteRemoteUser = (roomId, sender, target) => f.invites.inviteRemoteUser(roomId, sender, target);
  hs.rooms.hooks.backfill = (roomId, limit) => f.backfill(roomId, limit);
  hs.rooms.hooks.awaitDelivery = (pdu) => f.outbound.flushed(f.outbound.destinationsFor(pdu), 5000);
  f.outbound.install();
  hs.onClose(() => f.close());
  return f;
}
