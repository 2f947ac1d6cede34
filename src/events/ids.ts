// Matrix identifiers: sigil + localpart + ':' + server name (events-and-crypto.md §1).
import { randomInt } from 'node:crypto';

const MAX_ID_LENGTH = 255;
// hostname or bracketed IPv6, optional port
const SERVER_NAME_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/;
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Everything after the first colon; a server name may itself contain ":port". */
export function serverOf(id: string): string {
  const i = id.indexOf(':');
  if (i < 0) throw new Error(`Identifier has no server part: ${JSON.stringify(id)}`);
  return id.slice(i + 1);
}

export function isValidServerName(s: string): boolean {
  return SERVER_NAME_RE.test(s);
}

function isValidId(s: unknown, sigil: string): s is string {
  if (typeof s !== 'string' || s.length > MAX_ID_LENGTH || s[0] !== sigil) return false;
  const i = s.indexOf(':');
  if (i < 2) return false; // needs a non-empty localpart
  if (/\s/.test(s.slice(1, i))) return false;
  return isValidServerName(s.slice(i + 1));
}

export function isValidUserId(s: unknown): s is string {
  return isValidId(s, '@');
}

export function isValidRoomId(s: unknown): s is string {
  return isValidId(s, '!');
}

export function isValidRoomAlias(s: unknown): s is string {
  return isValidId(s, '#');
}

export function isValidEventId(s: unknown): s is string {
  return isValidId(s, '$');
}

export function localpartOf(userId: string): string {
  const i = userId.indexOf(':');
  if (userId[0] !== '@' || i < 0) throw new Error(`Not a user ID: ${JSON.stringify(userId)}`);
  return userId.slice(1, i);
}

/** `random` is passed in so callers (and tests) decide the randomness; Synapse used 18 letters. */
export function makeRoomId(serverName: string, random: () => string): string {
  return `!${random()}:${serverName}`;
}

/** Synapse 2015 style: `$<now><counter><random>:<server>`. */
export function makeEventId(serverName: string, nowMs: number, counter: number, randomChars: string): string {
  return `$${nowMs}${counter}${randomChars}:${serverName}`;
}

/** The one impure helper in events/: cryptographically random ASCII letters. */
export function randomString(len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += LETTERS[randomInt(LETTERS.length)];
  return s;
}
