// The one durable, ordered, retrying sender behind every outbound queue (federation destinations
// and application services). Its queue is rows in SQLite; a transaction is recorded there before
// it is sent and resent with the same id and body until the receiver acknowledges it; only then
// does the queue's cursor advance. One request is in flight at a time, so order holds. Failures
// back off exponentially (capped), and the backoff is kept in the database across restarts.
import type { Logger } from 'pino';
import type { DeliveryQueue } from '../storage/admin.js';

/** A transaction as recorded before it is sent: the id and body go out unchanged on every retry. */
export interface OutboundTxn {
  id: string;
  body: string;
  /** How many events/EDUs it carries (for the logs), when known. */
  size?: number;
}

/** When the next attempt may be made; 0/0 when nothing failed since the last acknowledgement. */
export interface RetryState {
  intervalMs: number;
  /** Epoch ms; 0 (or the past): send now. */
  nextRetryTs: number;
}

/** What the sender needs from the storage of one queue (a thin view over its tables). */
export interface SenderQueue<T extends OutboundTxn> {
  /**
   * The recorded transaction not yet acknowledged, else a new one formed from what is queued
   * (up to the queue's cap) and recorded before it is returned, else null when nothing is queued.
   */
  pending(): T | null;
  /** The receiver acknowledged `txn`: advance the cursor past it and forget the backoff, atomically. */
  acknowledge(txn: T): void;
  retryState(): RetryState;
  /** `error`: why the last attempt failed; undefined keeps what is recorded (for the admin view). */
  setRetryState(state: RetryState, error: string | null | undefined): void;
  /** Rows still queued (for the queue-depth gauge). */
  depth(): number;
}

/** The result of one attempt: delivered (acknowledged), or a reason to retry later. */
export type AttemptResult =
  | { delivered: true; url: string; detail?: string | null }
  | { delivered: false; url: string; detail: string; loud?: boolean };

/** Sends one recorded transaction. Resolves with the outcome; a throw is a bug, not a peer failure. */
export type Transport<T extends OutboundTxn> = (txn: T) => Promise<AttemptResult>;

/** The few collaborators of a sender (structural, so tests and both queues can pass their own). */
export interface SenderDeps<T extends OutboundTxn> {
  /** `federation` or `appservice`: metrics and attempt-log label. */
  kind: DeliveryQueue;
  /** The destination server or the service id. */
  target: string;
  /** For messages: "destination example.org", "appservice bridge". */
  name: string;
  queue: SenderQueue<T>;
  send: Transport<T>;
  clock: () => number;
  backoff: { minMs: number; maxMs: number };
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  metrics: {
    queueDepth: { set(labels: { queue: string; target: string }, value: number): void };
    deliveryRetries: { inc(labels: { queue: string; target: string }): void };
  };
  /** The admin view's attempt log (the last attempts per target, with bodies). */
  attempts: {
    recordAttempt(a: { queue: DeliveryQueue; target: string; txn_id: string; ts: number; status: 'delivered' | 'failed'; detail: string | null; url: string | null; body: string | null }): void;
  };
}

export class DurableSender<T extends OutboundTxn> {
  private running: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** A kick arrived during a round: run another one when it ends. */
  private again = false;
  private stopped = false;

  constructor(private readonly deps: SenderDeps<T>) {}

  /** Something was queued (or we just started): send unless already sending or backing off. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // Backing off: the loop re-reads the persisted backoff (the truth) and waits out what is left.
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** The receiver is known to be up again (it talked to us, or an admin said so): end the backoff now. */
  retryNow(): void {
    if (this.stopped) return;
    const r = this.retryState();
    if (r.nextRetryTs > 0) this.saveRetry({ intervalMs: r.intervalMs, nextRetryTs: 0 }, undefined);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.kick();
  }

  /** Whether the last attempt failed and the backoff is not over yet. */
  backingOff(): boolean {
    return this.retryState().nextRetryTs > this.deps.clock();
  }

  /** No new attempts; resolves once the request in flight (if any) has been answered and recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Read from the database each time: it is the truth (an operator or a test may change it). */
  private retryState(): RetryState {
    return this.deps.queue.retryState();
  }

  private saveRetry(state: RetryState, error: string | null | undefined): void {
    this.deps.queue.setRetryState(state, error);
  }

  private async loop(): Promise<void> {
    const { queue, send, clock, log, metrics, kind, target, name } = this.deps;
    const labels = { queue: kind, target };
    try {
      while (!this.stopped) {
        const before = this.retryState();
        const wait = before.nextRetryTs - clock();
        if (wait > 0) return this.schedule(wait);
        const txn = queue.pending();
        if (!txn) return;
        // Not stopped mid-request: stop() waits for the answer, so it is recorded either way.
        const result = await send(txn);
        this.deps.attempts.recordAttempt({
          queue: kind, target, txn_id: txn.id, ts: clock(), status: result.delivered ? 'delivered' : 'failed',
          detail: result.detail ?? null, url: result.url, body: txn.body,
        });
        if (result.delivered) {
          queue.acknowledge(txn);
          metrics.queueDepth.set(labels, queue.depth());
          log.debug({ txnId: txn.id, size: txn.size, url: result.url }, `${name}: transaction ${txn.id} delivered`);
          // It had been failing: say it is back, so an operator sees the end of the outage.
          if (before.intervalMs > 0) log.info({ url: result.url }, `${name} is reachable again`);
          continue;
        }
        const { minMs, maxMs } = this.deps.backoff;
        const interval = Math.min(maxMs, Math.max(minMs, before.intervalMs * 2));
        const now = clock();
        this.saveRetry({ intervalMs: interval, nextRetryTs: now + interval }, result.detail);
        metrics.deliveryRetries.inc(labels);
        metrics.queueDepth.set(labels, queue.depth());
        const nextRetry = new Date(now + interval).toISOString();
        const entry = { txnId: txn.id, url: result.url, reason: result.detail, retryInMs: interval, nextRetry };
        const msg = `${name}: transaction ${txn.id} to ${result.url} failed (${result.detail}); retrying the same transaction at ${nextRetry}`;
        if (result.loud) log.error(entry, msg);
        else log.warn(entry, msg);
        return this.schedule(interval);
      }
    } catch (err) {
      // A bug (or the database going away): nothing was acknowledged, so nothing is lost; try again later.
      if (this.stopped) return;
      log.error({ err }, `${name}: sender stopped by an error; retrying later`);
      this.schedule(this.deps.backoff.minMs);
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, ms);
    this.timer.unref();
  }
}
