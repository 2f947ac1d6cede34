// One service's queue, delivered by the shared durable sender: a transaction carries what is
// queued (up to MAX_EVENTS_PER_TXN events), strictly in order, one in flight, the same txnId and
// body on every retry, capped exponential backoff kept in appservice_state across restarts.
import { request } from 'undici';
import type { Logger } from 'pino';
import type { AppServiceStore, AppServiceTxnRow } from '../storage/appservice.js';
import type { AdminStore } from '../storage/admin.js';
import type { JsonObject } from '../events/index.js';
import { DurableSender, type AttemptResult, type OutboundTxn, type SenderDeps, type SenderQueue, type RetryState } from '../delivery/durable-sender.js';
import type { AppService } from './registration.js';

/** Events per transaction: a backlog drains in few requests (Synapse 0.12 sent up to 100). */
const MAX_EVENTS_PER_TXN = 500;

export interface SchedulerDeps {
  store: AppServiceStore;
  attempts: Pick<AdminStore, 'recordAttempt'>;
  /** An event as v1 clients see it (the one formatter shared with sync); undefined if unknown. */
  formatEvent: (eventId: string) => JsonObject | undefined;
  clock: () => number;
  config: { retryBackoffMinMs: number; retryBackoffMaxMs: number; requestTimeoutMs: number };
  log: Logger;
  metrics: SenderDeps<AppServiceTxn>['metrics'];
}

interface AppServiceTxn extends OutboundTxn {
  row: AppServiceTxnRow;
}

export class AppServiceScheduler {
  private readonly sender: DurableSender<AppServiceTxn>;

  constructor(readonly service: AppService, private readonly deps: SchedulerDeps) {
    this.sender = new DurableSender<AppServiceTxn>({
      kind: 'appservice', target: service.id, name: `appservice ${service.id}`,
      queue: new ServiceQueue(service.id, deps), send: (txn) => this.deliver(txn),
      clock: deps.clock, backoff: { minMs: deps.config.retryBackoffMinMs, maxMs: deps.config.retryBackoffMaxMs },
      log: deps.log.child({ appservice: service.id }), metrics: deps.metrics, attempts: deps.attempts,
    });
  }

  /** Something was queued (or we just started): send unless already sending or backing off. */
  kick(): void {
    this.sender.kick();
  }

  /** The admin "retry now": forget the backoff and send at once. */
  retryNow(): void {
    this.sender.retryNow();
  }

  /** Resolves once the transaction in flight (if any) is answered. */
  stop(): Promise<void> {
    return this.sender.stop();
  }

  /** Tries the service's path(s) in turn; delivered on the first acknowledgement. */
  private async deliver(txn: AppServiceTxn): Promise<AttemptResult> {
    const paths =
      this.service.txnPath === 'legacy' ? ['/transactions/'] :
      this.service.txnPath === 'modern' ? ['/_matrix/app/v1/transactions/'] :
      ['/_matrix/app/v1/transactions/', '/transactions/'];
    let url = '';
    let failure = 'no path tried';
    for (const path of paths) {
      url = `${this.service.url}${path}${encodeURIComponent(txn.id)}`;
      const f = await this.put(url, txn.body);
      if (f === null) return { delivered: true, url };
      failure = f;
    }
    // A 2xx carrying an errcode is a service rejecting us while looking healthy: say so loudly.
    return { delivered: false, url, detail: failure, loud: failure.includes('errcode') };
  }

  /** null when acknowledged, else why not (the URL never carries the token). */
  private async put(url: string, body: string): Promise<string | null> {
    const timeout = this.deps.config.requestTimeoutMs;
    const token = this.service.hsToken;
    try {
      const res = await request(`${url}?access_token=${encodeURIComponent(token)}`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
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

/** The sender's view of appservice_queue, appservice_txns and appservice_state for one service. */
class ServiceQueue implements SenderQueue<AppServiceTxn> {
  constructor(private readonly id: string, private readonly deps: SchedulerDeps) {}

  pending(): AppServiceTxn | null {
    const { store, clock } = this.deps;
    const row = store.oldestTxn(this.id) ?? store.createTxn(this.id, MAX_EVENTS_PER_TXN, clock(), (ids) => this.body(ids));
    return row ? { id: String(row.txn_id), body: row.body, row } : null;
  }

  acknowledge(txn: AppServiceTxn): void {
    this.deps.store.completeTxn(txn.row);
  }

  retryState(): RetryState {
    const st = this.deps.store.state(this.id);
    return { intervalMs: st.backoff_ms, nextRetryTs: st.next_retry_ts };
  }

  setRetryState(s: RetryState, error: string | null | undefined): void {
    this.deps.store.setBackoff(this.id, s.intervalMs, s.nextRetryTs, error === undefined ? this.deps.store.state(this.id).last_error : error);
  }

  depth(): number {
    return this.deps.store.queueDepth(this.id);
  }

  /** The transaction body: v1 client events (user_id and sender), fixed when the txn is formed. */
  private body(eventIds: string[]): string {
    const events: string[] = [];
    for (const id of eventIds) {
      const ev = this.deps.formatEvent(id);
      if (ev) events.push(JSON.stringify(ev));
    }
    return `{"events":[${events.join(',')}]}`;
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
