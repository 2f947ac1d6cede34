// One destination's queue, delivered by the shared durable sender: a transaction carries what is
// queued, up to 50 PDUs and 100 EDUs (as Synapse), is recorded before it is sent and resent with
// the same txnId and body until the peer answers; a connection failure backs off (capped, kept
// in federation_destinations across restarts).
import type { Logger } from 'pino';
import type { FederationStore, QueueRow } from '../storage/federation.js';
import type { AdminStore } from '../storage/admin.js';
import { DurableSender, type AttemptResult, type OutboundTxn, type SenderDeps, type SenderQueue, type RetryState } from '../delivery/durable-sender.js';
import { PeerUnreachableError, type FederationClient } from './client.js';
import type { EventGraph } from './event-graph.js';

const MAX_PDUS = 50;
const MAX_EDUS = 100;

export interface FederationTxn extends OutboundTxn {
  /** The last queue row it carries: acknowledging drops every row up to it. */
  maxId: number;
}

export interface DestinationSenderDeps {
  serverName: string;
  store: FederationStore;
  attempts: Pick<AdminStore, 'recordAttempt'>;
  /** Runs `fn` in one SQLite transaction. */
  transaction: (fn: () => void) => void;
  client: Pick<FederationClient, 'request'>;
  graph: Pick<EventGraph, 'event' | 'renderPdu'>;
  clock: () => number;
  backoff: { minMs: number; maxMs: number };
  log: Logger;
  metrics: SenderDeps<FederationTxn>['metrics'];
  /** Transaction ids, unique across destinations and restarts. */
  nextTxnId: () => string;
}

export class DestinationSender {
  private readonly sender: DurableSender<FederationTxn>;

  constructor(readonly destination: string, private readonly deps: DestinationSenderDeps) {
    this.sender = new DurableSender<FederationTxn>({
      kind: 'federation', target: destination, name: `destination ${destination}`,
      queue: new DestinationQueue(destination, deps), send: (txn) => this.send(txn),
      clock: deps.clock, backoff: deps.backoff, log: deps.log.child({ destination }), metrics: deps.metrics, attempts: deps.attempts,
    });
  }

  /** Something was queued (or the peer may be back): send unless already sending or backing off. */
  kick(): void {
    this.sender.kick();
  }

  /** The peer talked to us: it is up, so stop waiting out the backoff. */
  retryNow(): void {
    if (this.sender.backingOff()) this.sender.retryNow();
  }

  stop(): Promise<void> {
    return this.sender.stop();
  }

  private async send(txn: FederationTxn): Promise<AttemptResult> {
    const url = `/_matrix/federation/v1/send/${txn.id}/`;
    try {
      const res = await this.deps.client.request(this.destination, 'PUT', url, { bodyText: txn.body });
      if (res.status === 200) return { delivered: true, url };
      // Per the spec any HTTP answer means the peer has seen the transaction: it is not resent.
      this.deps.log.warn({ destination: this.destination, txnId: txn.id, status: res.status, body: res.text.slice(0, 200) }, 'transaction refused');
      return { delivered: true, url, detail: `HTTP ${res.status}` };
    } catch (err) {
      if (!(err instanceof PeerUnreachableError)) throw err;
      return { delivered: false, url, detail: err.message };
    }
  }
}

/** The sender's view of federation_outbound_queue and federation_destinations for one destination. */
class DestinationQueue implements SenderQueue<FederationTxn> {
  constructor(private readonly destination: string, private readonly deps: DestinationSenderDeps) {}

  pending(): FederationTxn | null {
    const d = this.deps.store.destination(this.destination);
    if (d.pending_txn_id !== null) return { id: d.pending_txn_id, maxId: d.pending_max_id!, body: d.pending_body! };
    return this.nextTransaction();
  }

  acknowledge(txn: FederationTxn): void {
    this.deps.transaction(() => this.deps.store.acknowledge(this.destination, txn.maxId));
  }

  retryState(): RetryState {
    const d = this.deps.store.destination(this.destination);
    return { intervalMs: d.retry_interval, nextRetryTs: d.retry_interval > 0 && d.retry_last_ts > 0 ? d.retry_last_ts + d.retry_interval : 0 };
  }

  setRetryState(s: RetryState): void {
    this.deps.store.setRetry(this.destination, s.nextRetryTs > 0 ? s.nextRetryTs - s.intervalMs : 0, s.intervalMs);
  }

  depth(): number {
    return this.deps.store.queueDepth(this.destination);
  }

  /** Takes the oldest queued items (up to 50 PDUs and 100 EDUs) into a recorded transaction. */
  private nextTransaction(): FederationTxn | null {
    const { store, graph, clock, serverName } = this.deps;
    const rows = store.queued(this.destination, MAX_PDUS + MAX_EDUS);
    if (rows.length === 0) return null;
    const taken: QueueRow[] = [];
    let nPdus = 0;
    let nEdus = 0;
    for (const r of rows) {
      if (r.event_id !== null ? nPdus === MAX_PDUS : nEdus === MAX_EDUS) break;
      if (r.event_id !== null) nPdus++;
      else nEdus++;
      taken.push(r);
    }
    const now = clock();
    const pdus: string[] = [];
    const edus: string[] = [];
    for (const r of taken) {
      if (r.edu_json !== null) edus.push(r.edu_json);
      const row = r.event_id !== null ? graph.event(r.event_id) : undefined;
      if (row) pdus.push(graph.renderPdu(row, now));
    }
    const body =
      `{"origin":${JSON.stringify(serverName)},"origin_server_ts":${now},"pdus":[${pdus.join(',')}]` +
      (edus.length ? `,"edus":[${edus.join(',')}]` : '') +
      ',"pdu_failures":[]}';
    const id = this.deps.nextTxnId();
    const maxId = taken[taken.length - 1]!.id;
    store.setPending(this.destination, id, maxId, body);
    return { id, maxId, body, size: taken.length };
  }
}
