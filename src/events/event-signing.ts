// Event hashing and signing (events-and-crypto.md §7.3). The signature covers only the
// pruned form (plus the content hash), which is why a redacted event still verifies.
import { signJson, verifyJsonSignature } from '../crypto/json-signing.js';
import type { PublicKey } from '../crypto/ed25519.js';
import type { SigningKey } from '../crypto/signing-key.js';
import { computeContentHash } from './hashing.js';
import { pruneEvent } from './redaction.js';
import { isJsonObject, type JsonObject } from './types.js';

/** The object that is actually signed: pruned, without unsigned/age_ts. */
function signableForm(event: JsonObject): JsonObject {
  const { unsigned: _u, age_ts: _a, ...rest } = pruneEvent(event);
  return rest;
}

export function hashAndSignEvent<T extends JsonObject>(event: T, serverName: string, key: SigningKey): T {
  const oldHashes = isJsonObject(event.hashes) ? event.hashes : {};
  const hashed: JsonObject = { ...event, hashes: { ...oldHashes, sha256: computeContentHash(event) } };
  const signed = signJson(signableForm(hashed), serverName, key);
  return { ...hashed, signatures: signed.signatures } as unknown as T;
}

export function verifyEventSignature(
  event: JsonObject,
  serverName: string,
  keyId: string,
  publicKey: PublicKey,
): boolean {
  try {
    return verifyJsonSignature(signableForm(event), serverName, keyId, publicKey);
  } catch {
    return false;
  }
}
