// Delivers one destination's queue: at most one transaction in flight; a transaction is recorded
// before it is sent and resent with the same txnId and body until the peer answers; connection
// failures back off exponentially (capped), and the backoff survives restarts.
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { HomeserverConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { QueueRow } from '../storage/federation.js';
import { FederationClient, PeerUnreachableError } from './client.js';
import type { EventGraph } from './event-graph.js';

const MAX_PDUS = 50;
const MAX_EDUS = 100;

export interface SenderContext {
  storage: Storage;
  config: Pick<HomeserverConfig, 'federation'>;
  log: Logger;
  clock: () => number;
  metrics: Metrics;
  serverName: string;
  client: FederationClient;
  graph: EventGraph;
  nextTxnId: () => string;
}

export class DestinationSender {
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private again = false;
  private stopped = false;

  constructor(readonly destination: string, private readonly ctx: SenderContext) {}

  /** Something was queued (or the peer may be back): send unless already sending or backing off. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.running = this.loop()
      .catch((err) => this.ctx.log.error({ destination: this.destination, err }, 'federation sender failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** The peer talked to us: it is up, so stop waiting out the backoff. */
  retryNow(): void {
    if (this.stopped) return;
    const d = this.ctx.storage.federation.destination(this.destination);
    if (d.retry_interval > 0 && d.retry_last_ts + d.retry_interval > this.ctx.clock()) {
      this.ctx.storage.federation.setRetry(this.destination, 0, d.retry_interval);
      this.kick();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private async loop(): Promise<void> {
    const { ctx } = this;
    const { client } = ctx;
    const store = ctx.storage.federation;
    const { retryBackoffMinMs: minMs, retryBackoffMaxMs: maxMs } = ctx.config.federation;
    while (!this.stopped) {
      const d = store.destination(this.destination);
      const wait = d.retry_last_ts + d.retry_interval - ctx.clock();
      if (d.retry_interval > 0 && wait > 0) return this.schedule(wait);
      const txn = d.pending_txn_id !== null ? { id: d.pending_txn_id, maxId: d.pending_max_id!, body: d.pending_body! } : this.nextTransaction();
      if (!txn) return;
      const path = `/_matrix/federation/v1/send/${txn.id}/`;
      const attempt = (status: 'delivered' | 'failed', detail: string | null) => ctx.storage.admin.recordAttempt({
        queue: 'federation', target: this.destination, txn_id: txn.id, ts: ctx.clock(), status, detail, url: path, body: txn.body,
      });
      try {
        const res = await client.request(this.destination, 'PUT', path, { bodyText: txn.body });
        if (this.stopped) return;
        if (res.status !== 200) {
          // Per the spec any HTTP answer means the peer has seen the transaction.
          ctx.log.warn({ destination: this.destination, txnId: txn.id, status: res.status, body: res.text.slice(0, 200) }, 'transaction refused');
        }
        attempt('delivered', res.status === 200 ? null : `HTTP ${res.status}`);
        if (d.retry_interval > 0) ctx.log.info({ destination: this.destination }, `destination ${this.destination} is reachable again`);
        ctx.storage.transaction(() => store.acknowledge(this.destination, txn.maxId));
        ctx.metrics.queueDepth.set({ queue: 'federation', target: this.destination }, store.queueDepth(this.destination));
      } catch (err) {
        if (this.stopped) return;
        if (!(err instanceof PeerUnreachableError)) throw err;
        const interval = Math.min(maxMs, Math.max(minMs, d.retry_interval * 2));
        store.setRetry(this.destination, ctx.clock(), interval);
        ctx.metrics.deliveryRetries.inc({ queue: 'federation', target: this.destination });
        ctx.metrics.queueDepth.set({ queue: 'federation', target: this.destination }, store.queueDepth(this.destination));
        attempt('failed', err.message);
        const nextRetry = new Date(ctx.clock() + interval).toISOString();
        ctx.log.info({ destination: this.destination, txnId: txn.id, path, retryInMs: interval, nextRetry, err: err.message },
          `destination ${this.destination} unreachable (${err.message}); retrying transaction ${txn.id} at ${nextRetry}`);
        return this.schedule(interval);
      }
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, ms);
    this.timer.unref?.();
  }

  /** Takes the oldest queued items (up to 50 PDUs and 100 EDUs) into a recorded transaction. */
  private nextTransaction(): { id: string; maxId: number; body: string } | null {
    const { ctx } = this;
    const { graph } = ctx;
    const rows = ctx.storage.federation.queued(this.destination, MAX_PDUS + MAX_EDUS);
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
    const now = ctx.clock();
    const pdus: string[] = [];
    const edus: string[] = [];
    for (const r of taken) {
      if (r.edu_json !== null) edus.push(r.edu_json);
      const row = r.event_id !== null ? graph.event(r.event_id) : undefined;
      if (row) pdus.push(graph.renderPdu(row, now));
    }
    const body =
      `{"origin":${JSON.stringify(ctx.serverName)},"origin_server_ts":${now},"pdus":[${pdus.join(',')}]` +
      (edus.length ? `,"edus":[${edus.join(',')}]` : '') +
      ',"pdu_failures":[]}';
    const id = this.ctx.nextTxnId();
    const maxId = taken[taken.length - 1]!.id;
    ctx.storage.federation.setPending(this.destination, id, maxId, body);
    return { id, maxId, body };
  }
}
