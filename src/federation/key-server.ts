// Our key server (federation-v1.md §9): our own signed key response (v2, and the obsolete v1
// still fetched by 2015 peers as a fallback) and the notary query answered from our cache.
import { encodeBase64, signJson, type SigningKey } from '../crypto/index.js';
import { notaryQuery } from './notary.js';

/** A day, as Synapse's key_refresh_interval. */
const KEY_VALIDITY_MS = 24 * 60 * 60 * 1000;

export interface KeyServerDeps {
  serverName: string;
  signingKey: SigningKey;
  clock: () => number;
  /** sha256 of each TLS certificate we serve (read on each request: set once listeners exist). */
  tlsFingerprints: () => { sha256: string }[];
  /** DER of our federation TLS certificate, when we serve one (v1 key response). */
  tlsCertificate: () => Buffer | null;
  /** Another server's key response from our cache (fetched if stale), or null; null when federation is off. */
  cachedResponse: ((server: string, minimumValidUntil: number) => Promise<string | null>) | null;
}

export class KeyServer {
  constructor(private readonly deps: KeyServerDeps) {}

  /** GET /_matrix/key/v2/server[/{keyId}]: the keyId is only a hint, all current keys are returned. */
  serverKeys(): Record<string, unknown> {
    const { signingKey: key, serverName } = this.deps;
    const body = {
      old_verify_keys: {},
      server_name: serverName,
      tls_fingerprints: this.deps.tlsFingerprints(),
      valid_until_ts: this.deps.clock() + KEY_VALIDITY_MS,
      verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
    };
    return signJson(body, serverName, key);
  }

  /** GET /_matrix/key/v1 */
  v1Keys(): Record<string, unknown> {
    const { signingKey: key, serverName } = this.deps;
    const body: Record<string, unknown> = { server_name: serverName, verify_keys: { [key.keyId]: key.publicKeyBase64 } };
    const der = this.deps.tlsCertificate();
    if (der) body.tls_certificate = encodeBase64(der);
    return signJson(body, serverName, key);
  }

  /** POST /_matrix/key/v2/query {"server_keys": {server: {keyId: {minimum_valid_until_ts}}}} */
  query(serverKeys: unknown): Promise<{ server_keys: Record<string, unknown>[] }> {
    return notaryQuery(this.deps, serverKeys, () => this.serverKeys());
  }

  /** GET /_matrix/key/v2/query/{serverName}[/{keyId}]?minimum_valid_until_ts= */
  queryOne(serverName: string, keyId: string | undefined, minimumValidUntil: unknown): Promise<{ server_keys: Record<string, unknown>[] }> {
    const min = Number(minimumValidUntil ?? 0) || 0;
    return this.query({ [serverName]: { [keyId ?? '*']: { minimum_valid_until_ts: min } } });
  }
}
