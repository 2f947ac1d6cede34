// The composition edge's randomness. crypto/ and events/ are pure and take a random source as
// an argument; this is the one place that hands them node:crypto's.
import { randomBytes } from 'node:crypto';
import { generateSigningKey, type RandomBytes, type SigningKey } from './crypto/index.js';
import { randomString } from './events/index.js';

export const secureRandom: RandomBytes = randomBytes;

/** `len` cryptographically random ASCII letters (ids, media names, transaction names). */
export function randomLetters(len: number): string {
  return randomString(len, secureRandom);
}

export function newSigningKey(version = 'auto'): SigningKey {
  return generateSigningKey(version, secureRandom);
}
