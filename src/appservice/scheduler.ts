// The per-service scheduler: pushes one service's queue as transactions, strictly in order, one
// in flight, the same txnId and body on every retry, capped exponential backoff kept in the
// database across restarts.
import { request } from 'undici';
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { HomeserverConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { ClientEvents } from '../sync/client-events.js';
import type { AppServiceTxnRow } from '../storage/appservice.js';
import type { AppService } from './registration.js';

const MAX_EVENTS_PER_TXN = 100;

/** What a scheduler uses; the same for every service. */
export interface SchedulerDeps {
  storage: Storage;
  config: Pick<HomeserverConfig, 'appservice'>;
  log: Logger;
  clock: () => number;
  metrics: Metrics;
  /** The client-event formatter shared with sync/. */
  events: ClientEvents;
}

export class AppServiceScheduler {
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** The URL of the latest attempt (never with the token), for logs and the admin view. */
  private lastUrl = '';

  private readonly storage: Storage;
  private readonly config: Pick<HomeserverConfig, 'appservice'>;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly metrics: Metrics;
  private readonly events: ClientEvents;

  constructor(deps: SchedulerDeps, readonly service: AppService) {
    ({ storage: this.storage, config: this.config, log: this.log, clock: this.clock, metrics: this.metrics, events: this.events } = deps);
  }

  /** Something was queued (or we just started): send unless already sending or backing off. */
  kick(): void {
    if (this.running || this.timer || this.stopped) return;
    void this.run();
  }

  /** The admin "retry now": forget the backoff and send at once. */
  retryNow(): void {
    const st = this.storage.appservice.state(this.service.id);
    this.storage.appservice.setBackoff(this.service.id, st.backoff_ms, 0, st.last_error);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async run(): Promise<void> {
    this.running = true;
    const { id } = this.service;
    const store = this.storage.appservice;
    const log = this.log.child({ appservice: id });
    try {
      while (!this.stopped) {
        const st = store.state(id);
        const wait = st.next_retry_ts - this.clock();
        if (wait > 0) return this.schedule(wait);
        const txn = store.oldestTxn(id) ?? store.createTxn(id, MAX_EVENTS_PER_TXN, this.clock(), (ids) => this.body(ids));
        if (!txn) return;
        this.metrics.queueDepth.set({ queue: 'appservice', target: id }, store.queueDepth(id));
        const failure = await this.deliver(txn);
        if (this.stopped) return;
        this.recordAttempt(txn, failure);
        if (failure === null) {
          store.completeTxn(txn);
          log.info({ txnId: txn.txn_id, events: countEvents(txn), url: this.lastUrl }, 'appservice transaction delivered');
          // It had been failing: say it is back, so an operator sees the end of the outage.
          if (st.backoff_ms > 0) log.info({ url: this.service.url, lastError: st.last_error }, `appservice ${id} is reachable again`);
          continue;
        }
        const { retryBackoffMinMs: min, retryBackoffMaxMs: max } = this.config.appservice;
        const backoff = Math.min(max, st.backoff_ms ? st.backoff_ms * 2 : min);
        store.setBackoff(id, backoff, this.clock() + backoff, failure);
        this.metrics.deliveryRetries.inc({ queue: 'appservice', target: id });
        const entry = { txnId: txn.txn_id, url: this.lastUrl, reason: failure, retryInMs: backoff, nextRetry: new Date(this.clock() + backoff).toISOString() };
        // A 2xx carrying an errcode is a service rejecting us while looking healthy: say so loudly.
        if (failure.includes('errcode')) log.error(entry, `appservice ${id} rejected transaction ${txn.txn_id} at ${this.lastUrl} with a 2xx errcode (${failure}); retrying the same transaction at ${entry.nextRetry}`);
        else log.warn(entry, `appservice ${id} transaction ${txn.txn_id} to ${this.lastUrl} failed (${failure}); retrying the same transaction at ${entry.nextRetry}`);
        return this.schedule(backoff);
      }
    } catch (err) {
      log.error({ err }, 'appservice scheduler stopped by an error; retrying later');
      this.schedule(this.config.appservice.retryBackoffMinMs);
    } finally {
      this.running = false;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, ms);
    this.timer.unref();
  }

  /** The transaction body: v1 client events (user_id and sender), fixed when the txn is formed. */
  private body(eventIds: string[]): string {
    const events = eventIds.flatMap((eid) => {
      const row = this.storage.events.getEvent(eid);
      return row ? [this.events.format(row)] : [];
    });
    return JSON.stringify({ events });
  }

  /** null when acknowledged, else why not. */
  private async deliver(txn: AppServiceTxnRow): Promise<string | null> {
    const paths =
      this.service.txnPath === 'legacy' ? ['/transactions/'] :
      this.service.txnPath === 'modern' ? ['/_matrix/app/v1/transactions/'] :
      ['/_matrix/app/v1/transactions/', '/transactions/'];
    let failure: string | null = 'no path tried';
    for (const path of paths) {
      failure = await this.put(`${this.service.url}${path}${encodeURIComponent(String(txn.txn_id))}`, txn.body);
      if (failure === null) return null;
    }
    return failure;
  }

  /** Kept for the admin status view: the last 50 attempts, with their bodies. */
  private recordAttempt(txn: AppServiceTxnRow, failure: string | null): void {
    this.storage.admin.recordAttempt({
      queue: 'appservice', target: this.service.id, txn_id: String(txn.txn_id), ts: this.clock(),
      status: failure === null ? 'delivered' : 'failed', detail: failure, url: this.lastUrl, body: txn.body,
    });
  }

  private async put(url: string, body: string): Promise<string | null> {
    this.lastUrl = url;
    const timeout = this.config.appservice.requestTimeoutMs;
    try {
      const res = await request(`${url}?access_token=${encodeURIComponent(this.service.hsToken)}`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.service.hsToken}` },
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) return `HTTP ${res.statusCode}`;
      // matrix-appservice 0.2 answers a wrong hs_token with 200 {"errcode": ...}: not delivered.
      const errcode = errcodeOf(text);
      return errcode ? `HTTP ${res.statusCode} with errcode ${errcode} (check the hs_token)` : null;
    } catch (err) {
      return (err as { code?: string }).code ?? (err as Error).message;
    }
  }
}

function errcodeOf(text: string): string | null {
  try {
    const j = JSON.parse(text);
    return j && typeof j === 'object' && typeof j.errcode === 'string' ? j.errcode : null;
  } catch {
    return null;
  }
}

function countEvents(txn: AppServiceTxnRow): number {
  return (JSON.parse(txn.body) as { events: unknown[] }).events.length;
}
