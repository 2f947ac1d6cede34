import { scrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import { limitExceeded } from '../errors.js';
import { BoundedGate } from '../gate.js';

// scrypt with N=2^15, r=8, p=1: ~60 ms per hash here, slow enough to make guessing expensive.
const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 64 * 1024 * 1024;

// Asynchronous scrypt: the hash runs on libuv's thread pool, never on the event loop.
function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEYLEN, { N: n, r, p, maxmem: MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Returns a self-describing hash: scrypt$N$r$p$salt$key (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored) return false;
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * At most `concurrency` hashes at once, at most `queueMax` waiting; beyond that 429. The thread
 * pool (4 threads) also serves file and DNS work: a burst of logins must not take all of it.
 */
export class PasswordHasher {
  private readonly gate: BoundedGate;

  constructor(concurrency: number, queueMax: number) {
    this.gate = new BoundedGate(concurrency, queueMax, () => limitExceeded(1000));
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => hashPassword(password));
  }

  verify(password: string, stored: string | null): Promise<boolean> {
    return this.gate.run(() => verifyPassword(password, stored));
  }
}
