// Raw ed25519 over node:crypto. Building KeyObjects is the expensive part of signing and
// verifying: a SigningKey holds its private KeyObject, and whoever holds many verify keys (the
// federation keyring) keeps their KeyObjects in a VerifyKeyCache of its own.
// This module knows nothing of SigningKey (signing-key.ts builds on it, not the reverse).
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const MAX_VERIFY_KEYS = 10_000;

/** A public key as raw bytes, unpadded base64, or an already built KeyObject. */
export type PublicKey = Uint8Array | string | KeyObject;

export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte public key of an ed25519 private KeyObject. */
export function rawPublicKey(privateKey: KeyObject): Buffer {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32);
}

/** Public KeyObject for raw bytes or base64; throws on a key that is not 32 bytes. */
export function verifyKeyObject(publicKey: PublicKey): KeyObject {
  if (typeof publicKey !== 'string' && !(publicKey instanceof Uint8Array)) return publicKey;
  const raw = typeof publicKey === 'string' ? decodeBase64(publicKey) : publicKey;
  if (raw.length !== 32) throw new Error(`ed25519 public key must be 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Verify KeyObjects by key (base64), bounded: the keys of many servers accumulate over time. */
export class VerifyKeyCache {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly max = MAX_VERIFY_KEYS) {}

  /** The KeyObject of a base64 or raw key; throws on a key that is not 32 bytes. */
  get(publicKey: Uint8Array | string): KeyObject {
    const b64 = typeof publicKey === 'string' ? publicKey.replace(/=+$/, '') : encodeBase64(publicKey);
    let ko = this.keys.get(b64);
    if (ko) return ko;
    ko = verifyKeyObject(publicKey);
    if (this.keys.size >= this.max) this.keys.clear(); // a crude reset bounds memory
    this.keys.set(b64, ko);
    return ko;
  }
}

export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(null, data, privateKey);
}

/** Never throws: any malformed key or signature is simply "not valid". */
export function verifyBytes(publicKey: PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, data, verifyKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}
