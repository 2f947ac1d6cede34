// The composition edge's randomness. crypto/ and events/ are pure and take a random source as
// an argument; this is the one place that hands them node:crypto's.
import { randomBytes, randomInt } from 'node:crypto';
import { generateSigningKey, type RandomBytes, type SigningKey } from './crypto/index.js';
import { randomString } from './events/index.js';

/**
 * node:crypto's randomness. A few bytes at a time (an event id takes five letters) come from
 * randomInt, five bytes per call, which draws on node's own buffered pool: a randomBytes call
 * per event id would cost ten times more on the write path.
 */
export const secureRandom: RandomBytes = (n) => {
  if (n >= 64) return randomBytes(n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 5) {
    let v = randomInt(0, 2 ** 40);
    for (let j = i; j < n && j < i + 5; j++) {
      out[j] = v % 256;
      v = Math.floor(v / 256);
    }
  }
  return out;
};

/** `len` cryptographically random ASCII letters (ids, media names, transaction names). */
export function randomLetters(len: number): string {
  return randomString(len, secureRandom);
}

export function newSigningKey(version = 'auto'): SigningKey {
  return generateSigningKey(version, secureRandom);
}
