// Fan-out of our events to the other servers of a room. Queue rows are written by a persister
// hook inside the event's own SQLite transaction, so an event cannot be stored without being queued.
import type { Homeserver } from '../homeserver.js';
import type { PersistedEvent } from '../rooms/persist.js';
import { isValidServerName, serverOf, type Pdu } from '../events/index.js';
import type { FederationClient } from './client.js';
import type { EventGraph } from './event-graph.js';
import { DestinationSender } from './destination-sender.js';

export class Outbound {
  private readonly senders = new Map<string, DestinationSender>();
  /** Remote events we must pass on (a join received by send_join), with the server that sent them. */
  private readonly relays = new Map<string, string>();
  /** Servers that already hold an event (the invitee's server countersigned it). */
  private readonly holders = new Map<string, string>();
  private readonly toKick = new Set<string>();
  private txnCounter: number;

  constructor(private readonly hs: Homeserver, private readonly client: FederationClient, private readonly graph: EventGraph) {
    this.txnCounter = hs.clock();
  }

  install(): void {
    this.hs.persister.inTransaction.push((ev) => this.enqueueEvent(ev));
    this.hs.persister.afterCommit.push(() => this.kickQueued());
    for (const d of this.hs.storage.federation.destinationsWithWork()) this.sender(d).kick();
  }

  relayFrom(eventId: string, origin: string): void {
    this.relays.set(eventId, origin);
  }

  alreadyHeldBy(eventId: string, server: string): void {
    this.holders.set(eventId, server);
  }

  /** Servers (other than us) that should receive an event: joined servers, plus a member event's target. */
  destinationsFor(pdu: Pdu): string[] {
    const servers = new Set(this.hs.storage.state.joinedServers(pdu.room_id));
    if (pdu.type === 'm.room.member' && typeof pdu.state_key === 'string' && pdu.state_key.includes(':')) {
      servers.add(serverOf(pdu.state_key));
    }
    servers.delete(this.hs.serverName);
    return [...servers].filter(isValidServerName);
  }

  /** Resolves when the queues of `destinations` are empty, or after `timeoutMs` (a peer may be down). */
  async flushed(destinations: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (destinations.some((d) => this.hs.storage.federation.queueDepth(d) > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Queues an EDU for each destination in its own SQLite transaction, then sends. */
  queueEdu(destinations: Iterable<string>, edu: { edu_type: string; content: unknown }): void {
    const json = JSON.stringify(edu);
    const now = this.hs.clock();
    const list = [...new Set(destinations)].filter((d) => d !== this.hs.serverName);
    if (list.length === 0) return;
    this.hs.storage.transaction(() => {
      for (const d of list) this.hs.storage.federation.enqueueEdu(d, json, now);
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
    if (pdu.origin !== this.hs.serverName && relayedFrom === undefined) return;
    const now = this.hs.clock();
    for (const d of this.destinationsFor(pdu)) {
      if (d === relayedFrom || d === holder || d === pdu.origin) continue;
      this.hs.storage.federation.enqueuePdu(d, pdu.event_id, now);
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
      const { hs } = this;
      s = new DestinationSender(destination, {
        serverName: hs.serverName, store: hs.storage.federation, attempts: hs.storage.admin,
        transaction: (fn) => hs.storage.transaction(fn), client: this.client, graph: this.graph, clock: hs.clock,
        backoff: { minMs: hs.config.federation.retryBackoffMinMs, maxMs: hs.config.federation.retryBackoffMaxMs },
        log: hs.log, metrics: hs.metrics, nextTxnId: () => String(this.txnCounter++),
      });
      this.senders.set(destination, s);
    }
    return s;
  }
}
