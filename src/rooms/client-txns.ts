// Client transaction ids (PUT .../{txnId}): a retried request gets the first answer instead of
// acting twice. Atomic: a retry that arrives while the first call is still running (a remote
// join, an invite over federation) shares that call's promise instead of starting its own.
import type { Requester } from '../accounts/auth.js';

/** Where answers are kept across restarts (storage/client-txns.ts). */
export interface ClientTxnStore {
  get(tokenHash: string, path: string, txnId: string): unknown | undefined;
  put(tokenHash: string, path: string, txnId: string, response: unknown, now: number): void;
}

export interface OnceOptions {
  /**
   * Store the answer after `fn` resolves (default). Sends and redactions say false: the write
   * path stores their answer in the same SQLite transaction as the event.
   */
  storeAnswer?: boolean;
}

export class ClientTxns {
  /** (token, path, txnId) -> the call in progress. Bounded by the requests in flight. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly store: ClientTxnStore, private readonly clock: () => number) {}

  /** The stored answer of an earlier call with this (token, path, txnId), if any. */
  previous(who: Requester, path: string, txnId: string): unknown | undefined {
    return this.store.get(who.tokenHash, path, txnId);
  }

  /**
   * Runs `fn` once per (access token, path, txnId): a later retry answers the stored result, a
   * concurrent one the same promise. Without a txnId `fn` simply runs. A failed call is not
   * remembered: retrying it tries again.
   */
  once<T>(who: Requester, path: string, txnId: string | undefined, fn: () => T | Promise<T>, opts: OnceOptions = {}): Promise<T> {
    if (txnId === undefined) return Promise.resolve().then(fn);
    const key = JSON.stringify([who.tokenHash, path, txnId]);
    const running = this.inFlight.get(key);
    if (running) return running as Promise<T>;
    const previous = this.store.get(who.tokenHash, path, txnId);
    if (previous !== undefined) return Promise.resolve(previous as T);
    // fn runs in a microtask, after the promise is in the map, even if it throws at once.
    const call = Promise.resolve()
      .then(fn)
      .then((res) => {
        if (opts.storeAnswer !== false) this.store.put(who.tokenHash, path, txnId, res, this.clock());
        return res;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, call);
    return call;
  }
}
