// Server signing keys and Synapse's key file format ("ed25519 <version> <base64 seed>" lines).
import type { KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { privateKeyFromSeed, rawPublicKey } from './ed25519.js';

export interface SigningKey {
  keyId: string; // e.g. "ed25519:auto"
  seed: Uint8Array; // 32 bytes
  publicKey: Uint8Array; // 32 bytes
  publicKeyBase64: string;
  /** The seed as a node:crypto key, built once (building it costs more than a signature). */
  privateKey: KeyObject;
}

/**
 * A source of cryptographically random bytes, passed in so that crypto/ and events/ stay pure:
 * node:crypto's randomBytes at the composition edge (src/random.ts), fixed bytes in tests.
 */
export type RandomBytes = (n: number) => Uint8Array;

const VERSION_RE = /^[A-Za-z0-9_]+$/;

export function signingKeyFromSeed(keyId: string, seed: Uint8Array): SigningKey {
  if (!keyId.startsWith('ed25519:')) throw new Error(`Unsupported key id ${JSON.stringify(keyId)}`);
  const privateKey = privateKeyFromSeed(seed);
  const publicKey = new Uint8Array(rawPublicKey(privateKey));
  return { keyId, seed: new Uint8Array(seed), publicKey, publicKeyBase64: encodeBase64(publicKey), privateKey };
}

/** A new key from 32 bytes of `random` (the caller's source of randomness). */
export function generateSigningKey(version: string, random: RandomBytes): SigningKey {
  if (!VERSION_RE.test(version)) throw new Error(`Invalid key version ${JSON.stringify(version)}`);
  const seed = random(32);
  if (seed.length !== 32) throw new Error(`random source gave ${seed.length} bytes, wanted 32`);
  return signingKeyFromSeed(`ed25519:${version}`, seed);
}

export function parseSigningKeyFile(text: string): SigningKey[] {
  const keys: SigningKey[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    keys.push(parseKeyLine(line, i + 1));
  });
  return keys;
}

function parseKeyLine(line: string, lineNo: number): SigningKey {
  const where = `signing key file line ${lineNo}`;
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 3) {
    throw new Error(`${where}: expected "ed25519 <version> <base64 seed>", got ${parts.length} fields`);
  }
  const [alg, version, seedB64] = parts as [string, string, string];
  if (alg !== 'ed25519') throw new Error(`${where}: unsupported algorithm ${JSON.stringify(alg)}`);
  if (!VERSION_RE.test(version)) throw new Error(`${where}: invalid key version ${JSON.stringify(version)}`);
  let seed: Buffer;
  try {
    seed = decodeBase64(seedB64);
  } catch {
    throw new Error(`${where}: seed is not valid base64`);
  }
  if (seed.length !== 32) throw new Error(`${where}: seed must decode to 32 bytes, got ${seed.length}`);
  return signingKeyFromSeed(`ed25519:${version}`, seed);
}

export function formatSigningKeyFile(keys: SigningKey[]): string {
  return keys.map((k) => `ed25519 ${versionOf(k.keyId)} ${encodeBase64(k.seed)}\n`).join('');
}

function versionOf(keyId: string): string {
  const [alg, version] = keyId.split(':', 2);
  if (alg !== 'ed25519' || !version || !VERSION_RE.test(version)) {
    throw new Error(`Cannot write key id ${JSON.stringify(keyId)} to a key file`);
  }
  return version;
}
