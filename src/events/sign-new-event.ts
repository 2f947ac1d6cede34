// Hashing and signing a new event of ours with every value canonical-JSON encoded once: the
// content hash input, the signed (pruned) form, the stored JSON and the reference hash all reuse
// the same encoded top-level values. Same bytes as hashAndSignEvent + canonicalJson +
// computeReferenceHash (spec-tests/unit/sign-new-event.test.ts compares them).
import { canonicalJson, compareCodePoints } from '../crypto/canonical-json.js';
import { encodeBase64 } from '../crypto/base64.js';
import { sha256Base64 } from '../crypto/hash.js';
import { signBytes } from '../crypto/ed25519.js';
import type { SigningKey } from '../crypto/signing-key.js';
import { hashAndSignEvent } from './event-signing.js';
import { computeReferenceHash } from './hashing.js';
import { pruneEvent } from './redaction.js';
import type { JsonObject, Pdu } from './types.js';

export interface SignedNewEvent {
  pdu: Pdu;
  /** The event's canonical JSON, as stored and sent. */
  json: string;
  /** sha256 of the signed bytes: what prev_events/auth_events of later events cite. */
  referenceHash: string;
}

/** Keys a built event never has; if one is present, the general (slower) path is taken. */
const UNUSUAL = ['unsigned', 'age_ts', 'outlier', 'destinations'];
const NOT_SIGNED = new Set(['signatures', 'unsigned', 'age_ts']);

/** `event` as buildEvent returns it (placeholder hashes and signatures). */
export function signNewEvent(event: Pdu, serverName: string, key: SigningKey): SignedNewEvent {
  if (UNUSUAL.some((k) => Object.hasOwn(event, k))) {
    const pdu = hashAndSignEvent(event, serverName, key);
    return { pdu, json: canonicalJson(pdu), referenceHash: computeReferenceHash(pdu) };
  }
  const parts = new Map<string, string>();
  for (const k of Object.keys(event)) {
    const v = (event as JsonObject)[k];
    if (k !== 'hashes' && k !== 'signatures' && v !== undefined) parts.set(k, canonicalJson(v));
  }
  const hashes = { sha256: sha256Base64(objectOf(parts)) };
  parts.set('hashes', canonicalJson(hashes));
  const pruned = pruneEvent({ ...event, hashes } as unknown as JsonObject);
  const signedParts = new Map<string, string>();
  for (const k of Object.keys(pruned)) {
    if (NOT_SIGNED.has(k) || pruned[k] === undefined) continue;
    // pruneEvent keeps top-level values as they are: only the content changes.
    signedParts.set(k, k === 'content' ? canonicalJson(pruned.content) : parts.get(k) ?? canonicalJson(pruned[k]));
  }
  const signed = Buffer.from(objectOf(signedParts), 'utf8');
  const signatures = { [serverName]: { [key.keyId]: encodeBase64(signBytes(key.privateKey, signed)) } };
  parts.set('signatures', canonicalJson(signatures));
  return { pdu: { ...event, hashes, signatures }, json: objectOf(parts), referenceHash: sha256Base64(signed) };
}

function objectOf(parts: Map<string, string>): string {
  const keys = [...parts.keys()].sort(compareCodePoints);
  let out = '{';
  for (let i = 0; i < keys.length; i++) out += `${i ? ',' : ''}${JSON.stringify(keys[i])}:${parts.get(keys[i]!)}`;
  return `${out}}`;
}
