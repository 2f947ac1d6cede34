// Fan-out of our events to the other servers of a room. Queue rows are written by a persister
// hook inside the event's own SQLite transaction, so an event cannot be stored without being queued.
import type { Storage } from '../storage/index.js';
import type { AfterCommitListener, InTransactionListener, PersistedEvent } from '../rooms/persist.js';
import { isValidServerName, serverOf, type Pdu } from '../events/index.js';
import type { FederationClient } from './client.js';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { EventGraph } from './event-graph.js';
import { DestinationSender } from './destination-sender.js';

export interface OutboundContext {
  storage: Storage;
  config: Pick<ServerConfig, 'federation'>;
  log: Logger;
  clock: () => number;
  metrics: Metrics;
  serverName: string;
  client: FederationClient;
  graph: EventGraph;
}

export class Outbound {
  private readonly senders = new Map<string, DestinationSender>();
  /** Remote events we must pass on (a join received by send_join), with the server that sent them. */
  private readonly relays = new Map<string, string>();
  /** Servers that already hold an event (the invitee's server countersigned it). */
  private readonly holders = new Map<string, string>();
  private readonly toKick = new Set<string>();
  private txnCounter: number;

  private readonly storage: Storage;
  private readonly serverName: string;
  private readonly clock: () => number;
  private readonly client: FederationClient;

  /** Senders resume the queues left by a previous run at once. */
  constructor(private readonly ctx: OutboundContext) {
    ({ storage: this.storage, serverName: this.serverName, clock: this.clock, client: this.client } = ctx);
    this.txnCounter = ctx.clock();
    for (const d of this.storage.federation.destinationsWithWork()) this.sender(d).kick();
  }

  /** Persister listener: queue rows inside the event's own transaction. */
  readonly inTransaction: InTransactionListener = (ev) => this.enqueueEvent(ev);
  /** Persister listener: send what the commit queued. */
  readonly afterCommit: AfterCommitListener = () => this.kickQueued();

  relayFrom(eventId: string, origin: string): void {
    this.relays.set(eventId, origin);
  }

  alreadyHeldBy(eventId: string, server: string): void {
    this.holders.set(eventId, server);
  }

  /** Servers (other than us) that should receive an event: joined servers, plus a member event's target. */
  destinationsFor(pdu: Pdu): string[] {
    const servers = new Set(this.storage.state.joinedServers(pdu.room_id));
    if (pdu.type === 'm.room.member' && typeof pdu.state_key === 'string' && pdu.state_key.includes(':')) {
      servers.add(serverOf(pdu.state_key));
    }
    servers.delete(this.serverName);
    return [...servers].filter(isValidServerName);
  }

  /** Resolves when the queues of `destinations` are empty, or after `timeoutMs` (a peer may be down). */
  async flushed(destinations: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (destinations.some((d) => this.storage.federation.queueDepth(d) > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Queues an EDU for each destination in its own SQLite transaction, then sends. */
  queueEdu(destinations: Iterable<string>, edu: { edu_type: string; content: unknown }): void {
    const json = JSON.stringify(edu);
    const now = this.clock();
    const list = [...new Set(destinations)].filter((d) => d !== this.serverName);
    if (list.length === 0) return;
    this.storage.transaction(() => {
      for (const d of list) this.storage.federation.enqueueEdu(d, json, now);
    });
    for (const d of list) this.sender(d).kick();
  }

  /** A peer made an authenticated request to us: it is reachable again. */
  peerIsUp(server: string): void {
    this.client.peers.succeeded(server);
    this.senders.get(server)?.retryNow();
  }

  async close(): Promise<void> {
    await Promise.all([...this.senders.values()].map((s) => s.stop()));
  }

  private enqueueEvent(ev: PersistedEvent): void {
    const { pdu } = ev;
    const relayedFrom = this.relays.get(pdu.event_id);
    const holder = this.holders.get(pdu.event_id);
    this.relays.delete(pdu.event_id);
    this.holders.delete(pdu.event_id);
    if (ev.rejected || ev.outlier || ev.backfilled) return;
    if (pdu.origin !== this.serverName && relayedFrom === undefined) return;
    const now = this.clock();
    for (const d of this.destinationsFor(pdu)) {
      if (d === relayedFrom || d === holder || d === pdu.origin) continue;
      this.storage.federation.enqueuePdu(d, pdu.event_id, now);
      this.toKick.add(d);
    }
  }

  private kickQueued(): void {
    for (const d of this.toKick) this.sender(d).kick();
    this.toKick.clear();
  }

  private sender(destination: string): DestinationSender {
    let s = this.senders.get(destination);
    if (!s) {
      const { ctx } = this;
      s = new DestinationSender(destination, {
        serverName: ctx.serverName, store: ctx.storage.federation, attempts: ctx.storage.admin,
        transaction: (fn) => ctx.storage.transaction(fn), client: ctx.client, graph: ctx.graph, clock: ctx.clock,
        backoff: { minMs: ctx.config.federation.retryBackoffMinMs, maxMs: ctx.config.federation.retryBackoffMaxMs },
        log: ctx.log, metrics: ctx.metrics, nextTxnId: () => String(this.txnCounter++),
      });
      this.senders.set(destination, s);
    }
    return s;
  }
}
