// Raw ed25519 over node:crypto. Building KeyObjects is the expensive part of signing and
// verifying: a SigningKey holds its private KeyObject, and verify keys are cached here.
// This module knows nothing of SigningKey (signing-key.ts builds on it, not the reverse).
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const MAX_VERIFY_KEYS = 10_000;

const verifyKeys = new Map<string, KeyObject>();

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
export function verifyKeyObject(publicKey: Uint8Array | string): KeyObject {
  const b64 = typeof publicKey === 'string' ? publicKey.replace(/=+$/, '') : encodeBase64(publicKey);
  let ko = verifyKeys.get(b64);
  if (ko) return ko;
  const raw = typeof publicKey === 'string' ? decodeBase64(publicKey) : publicKey;
  if (raw.length !== 32) throw new Error(`ed25519 public key must be 32 bytes, got ${raw.length}`);
  ko = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  // Keys of many remote servers accumulate over time; a crude reset bounds memory.
  if (verifyKeys.size >= MAX_VERIFY_KEYS) verifyKeys.clear();
  verifyKeys.set(b64, ko);
  return ko;
}

export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(null, data, privateKey);
}

/** Never throws: any malformed key or signature is simply "not valid". */
export function verifyBytes(publicKey: Uint8Array | string, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, data, verifyKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}
