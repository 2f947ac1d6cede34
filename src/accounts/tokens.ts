import { randomBytes, createHash } from 'node:crypto';

/** 32 random bytes, URL-safe: unguessable and safe in a query string. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are stored and compared as their sha256, never in the clear. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
