// Remote server keys (federation-v1.md §9): fetched on demand from the server itself, cached in
// the database with valid_until_ts, refetched when an unknown key id appears. Concurrent lookups
// for one server share a single fetch.
import type { KeyObject } from 'node:crypto';
import { VerifyKeyCache } from '../crypto/ed25519.js';
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { ServerKeyRow } from '../storage/server-keys.js';
import { signatureKeyIds, verifyJsonSignature, findNonIntegerNumber, type SigningKey } from '../crypto/index.js';
import { isJsonObject, verifyEventSignature, type JsonObject } from '../events/index.js';
import { PeerUnreachableError, type FederationClient } from './client.js';

const KEY_FETCH_TIMEOUT_MS = 10_000;
/** Unknown key ids from a server trigger at most one fetch per this interval (a forger cannot make us hammer it). */
const MISSING_KEY_REFETCH_MS = 5_000;
/** Expired keys are refreshed at most this often; until then the cached ones are used (as Synapse 0.10 did). */
const STALE_KEY_REFETCH_MS = 60_000;
const V1_VALIDITY_MS = 24 * 60 * 60 * 1000;
/** Servers whose last fetch time is remembered (names come from peers and anonymous queries). */
const MAX_TRACKED_SERVERS = 10_000;

type KeyMap = Map<string, ServerKeyRow>;

export class Keyring {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly lastAttempt = new Map<string, number>();

  /** KeyObjects of the verify keys in use: building one costs more than a verify. */
  private readonly keyObjects = new VerifyKeyCache();

  constructor(
    private readonly storage: Storage,
    private readonly client: FederationClient,
    private readonly serverName: string,
    private readonly ownKey: SigningKey,
    private readonly clock: () => number,
    private readonly log: Logger,
  ) {}

  /** Public keys of `server` for the wanted key ids we know or could fetch (malformed ones left out). */
  async keysFor(server: string, keyIds: string[]): Promise<Map<string, KeyObject>> {
    if (server === this.serverName) {
      return new Map(keyIds.includes(this.ownKey.keyId) ? [[this.ownKey.keyId, this.keyObjects.get(this.ownKey.publicKeyBase64)]] : []);
    }
    let known = this.known(server);
    const missing = keyIds.some((id) => !known.has(id));
    const stale = keyIds.some((id) => {
      const row = known.get(id);
      return row !== undefined && row.expired_ts === null && row.valid_until_ts < this.clock();
    });
    if (missing || stale) {
      const since = this.clock() - (this.lastAttempt.get(server) ?? -Infinity);
      const pending = this.inflight.get(server);
      if (pending) {
        // A fetch started by a concurrent request: its answer is ours too (skipping it would
        // refuse, say, a transaction that arrives while the same peer's join is being checked).
        await pending;
        known = this.known(server);
      } else if (since >= (missing ? MISSING_KEY_REFETCH_MS : STALE_KEY_REFETCH_MS)) {
        await this.fetch(server, keyIds[0] ?? 'ed25519:auto');
        known = this.known(server);
      }
    }
    const out = new Map<string, KeyObject>();
    for (const id of keyIds) {
      const row = known.get(id);
      if (!row) continue;
      try {
        out.set(id, this.keyObjects.get(row.verify_key));
      } catch {
        // A stored key that is not 32 bytes verifies nothing.
      }
    }
    return out;
  }

  /** True if `obj` carries a valid signature of `server` by a key we know or can fetch. */
  async verifyJson(obj: object, server: string): Promise<boolean> {
    const ids = signatureKeyIds(obj, server);
    if (ids.length === 0) return false;
    const keys = await this.keysFor(server, ids);
    for (const [id, key] of keys) if (verifyJsonSignature(obj, server, id, key)) return true;
    return false;
  }

  /** True if the event is signed by `server` (over its pruned form). */
  async verifyEvent(event: JsonObject, server: string): Promise<boolean> {
    const ids = signatureKeyIds(event, server);
    if (ids.length === 0) return false;
    const keys = await this.keysFor(server, ids);
    for (const [id, key] of keys) if (verifyEventSignature(event, server, id, key)) return true;
    return false;
  }

  /** The cached self-signed key response of a server, refetched when too old (for notary answers). */
  async cachedResponse(server: string, minimumValidUntil: number): Promise<string | null> {
    let row = this.storage.serverKeys.response(server);
    const halfLifePassed = row && this.clock() > (row.fetched_ts + row.valid_until_ts) / 2;
    const tooOld = !row || row.valid_until_ts < minimumValidUntil || (minimumValidUntil === 0 && halfLifePassed);
    // Anyone may ask (a minimum_valid_until_ts in the far future is never satisfied): a server is
    // fetched at most once per STALE_KEY_REFETCH_MS on behalf of the notary, whatever is asked.
    const recentlyTried = this.clock() - (this.lastAttempt.get(server) ?? -Infinity) < STALE_KEY_REFETCH_MS;
    if (tooOld && !recentlyTried && server !== this.serverName) {
      await this.fetch(server, 'ed25519:auto');
      row = this.storage.serverKeys.response(server);
    }
    return row?.response_json ?? null;
  }

  private readonly cache = new Map<string, KeyMap>();

  private known(server: string): KeyMap {
    let keys = this.cache.get(server);
    if (!keys) {
      if (this.cache.size >= MAX_TRACKED_SERVERS) this.cache.clear(); // a cache, not a record
      keys = new Map(this.storage.serverKeys.keysOf(server).map((r) => [r.key_id, r]));
      this.cache.set(server, keys);
    }
    return keys;
  }

  /**
   * Anyone can make us fetch keys (a notary query, or any federation request naming an origin),
   * so a server that could not be reached is left alone until its backoff (shared with the
   * federation senders, whose next success clears it) is over.
   */
  private fetch(server: string, keyIdHint: string): Promise<void> {
    let p = this.inflight.get(server);
    if (!p) {
      this.lastAttempt.set(server, this.clock());
      if (this.lastAttempt.size > MAX_TRACKED_SERVERS) this.lastAttempt.delete(this.lastAttempt.keys().next().value as string);
      // A server that just failed is not contacted again until its backoff (shared with the
      // federation senders) is over; fetches take one of a bounded number of outbound slots.
      const peers = this.client.peers;
      if (peers.backoffMs(server) > 0) return Promise.resolve();
      p = peers.slot(() => this.fetchDirect(server, keyIdHint))
        .catch((err) => {
          this.log.warn({ server, err: (err as Error).message }, 'could not fetch server keys');
        })
        .finally(() => {
          this.inflight.delete(server);
          this.cache.delete(server);
        });
      this.inflight.set(server, p);
    }
    return p;
  }

  private async fetchDirect(server: string, keyIdHint: string): Promise<void> {
    const opts = { unsigned: true, timeoutMs: KEY_FETCH_TIMEOUT_MS, respectBackoff: true };
    try {
      const res = await this.client.requestOk(server, 'GET', `/_matrix/key/v2/server/${encodeURIComponent(keyIdHint)}`, opts);
      this.storeV2(server, res.text);
    } catch (v2err) {
      // Synapse 0.10 fell back to the v1 key server when v2 failed; not when nothing answered.
      if (v2err instanceof PeerUnreachableError) throw v2err;
      try {
        const res = await this.client.requestOk(server, 'GET', '/_matrix/key/v1/', opts);
        this.storeV1(server, res.json);
      } catch {
        throw v2err;
      }
    }
  }

  private storeV2(server: string, text: string): void {
    if (findNonIntegerNumber(text) !== null) throw new Error('key response has non-integer numbers');
    const body = JSON.parse(text) as JsonObject;
    if (!isJsonObject(body) || body.server_name !== server) throw new Error('key response is for another server');
    const verifyKeys = isJsonObject(body.verify_keys) ? body.verify_keys : {};
    const keys = new Map<string, string>();
    for (const [id, v] of Object.entries(verifyKeys)) {
      if (id.startsWith('ed25519:') && isJsonObject(v) && typeof v.key === 'string') keys.set(id, v.key);
    }
    this.checkSelfSigned(body, server, keys);
    const now = this.clock();
    const validUntil = typeof body.valid_until_ts === 'number' ? body.valid_until_ts : now;
    const old = isJsonObject(body.old_verify_keys) ? body.old_verify_keys : {};
    this.storage.transaction(() => {
      for (const [id, key] of keys) {
        this.storage.serverKeys.putKey({ server_name: server, key_id: id, verify_key: key, valid_until_ts: validUntil, expired_ts: null });
      }
      for (const [id, v] of Object.entries(old)) {
        if (!isJsonObject(v) || typeof v.key !== 'string' || keys.has(id)) continue;
        const expired = typeof v.expired_ts === 'number' ? v.expired_ts : now;
        this.storage.serverKeys.putKey({ server_name: server, key_id: id, verify_key: v.key, valid_until_ts: expired, expired_ts: expired });
      }
      this.storage.serverKeys.putResponse({ server_name: server, response_json: text, valid_until_ts: validUntil, fetched_ts: now });
    });
  }

  private storeV1(server: string, json: unknown): void {
    if (!isJsonObject(json) || json.server_name !== server) throw new Error('v1 key response is for another server');
    const keys = new Map<string, string>();
    for (const [id, v] of Object.entries(isJsonObject(json.verify_keys) ? json.verify_keys : {})) {
      if (id.startsWith('ed25519:') && typeof v === 'string') keys.set(id, v);
    }
    this.checkSelfSigned(json, server, keys);
    const until = this.clock() + V1_VALIDITY_MS;
    for (const [id, key] of keys) {
      this.storage.serverKeys.putKey({ server_name: server, key_id: id, verify_key: key, valid_until_ts: until, expired_ts: null });
    }
  }

  /** Every key id that signed must be a listed verify key, and the signatures must hold. */
  private checkSelfSigned(body: JsonObject, server: string, keys: Map<string, string>): void {
    const signedWith = signatureKeyIds(body, server);
    if (signedWith.length === 0) throw new Error('key response is not self-signed');
    for (const id of signedWith) {
      const key = keys.get(id);
      if (!key) throw new Error(`key response signed with unlisted key ${id}`);
      if (!verifyJsonSignature(body, server, id, key)) throw new Error(`key response signature by ${id} does not verify`);
    }
  }
}
