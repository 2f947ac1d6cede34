// Matrix identifiers: sigil + localpart + ':' + server name (events-and-crypto.md §1).
import { isIPv6 } from 'node:net';
import type { RandomBytes } from '../crypto/signing-key.js';

/** Ids are at most 255 bytes of UTF-8 (Synapse's limit for user ids, applied to every kind). */
export const MAX_ID_BYTES = 255;
const MAX_SERVER_NAME_LENGTH = 255;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV6_LITERAL = /^\[([0-9A-Fa-f:.]{2,45})\]$/;
// C0 and C1 controls, DEL, any whitespace (U+00A0, U+2028 ...), and lone UTF-16 surrogates, which
// have no UTF-8 form: an id holding one would not survive the database or the wire unchanged.
const FORBIDDEN_IN_LOCALPART = /[\u0000-\u001f\u007f-\u009f\s]|\p{Cs}/u;
// A new alias name also may not hold the id separator or a path separator. '#' stays allowed:
// bridges name portal rooms like `#freenode_#channel:server`.
const FORBIDDEN_IN_ALIAS_NAME = /[:/]/;
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Everything after the first colon; a server name may itself contain ":port". */
export function serverOf(id: string): string {
  const i = id.indexOf(':');
  if (i < 0) throw new Error(`Identifier has no server part: ${JSON.stringify(id)}`);
  return id.slice(i + 1);
}

/**
 * The server name grammar: `hostname | IPv4 | "[" IPv6 "]"`, then an optional `:port` (1-65535).
 * Hostname labels are letters, digits and inner hyphens, 1-63 each (an IPv4 address is one such).
 * Everything that may make us connect somewhere goes through this first.
 */
export function isValidServerName(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_SERVER_NAME_LENGTH) return false;
  let host = name;
  const colon = name.lastIndexOf(':');
  if (colon >= 0 && colon > name.lastIndexOf(']')) {
    const port = name.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return false;
    host = name.slice(0, colon);
  }
  const v6 = IPV6_LITERAL.exec(host);
  if (v6) return isIPv6(v6[1]!);
  return host.split('.').every((label) => HOST_LABEL.test(label));
}

function isValidId(s: unknown, sigil: string): s is string {
  if (typeof s !== 'string' || s[0] !== sigil || Buffer.byteLength(s, 'utf8') > MAX_ID_BYTES) return false;
  const i = s.indexOf(':');
  if (i < 2) return false; // needs a non-empty localpart
  if (FORBIDDEN_IN_LOCALPART.test(s.slice(1, i))) return false;
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

/** The error text for a refused alias name. */
export const BAD_ALIAS_NAME = 'Invalid room alias name: no whitespace, control characters, ":" or "/"; at most 255 bytes in all';

/**
 * A new alias `#name:server` (createRoom's room_alias_name, PUT /directory/room): a valid alias whose
 * name also has no ':' or '/'. Aliases of other servers are only held to isValidRoomAlias.
 */
export function isValidNewAliasName(name: unknown, serverName: string): name is string {
  return typeof name === 'string' && name !== '' && !FORBIDDEN_IN_ALIAS_NAME.test(name) && isValidRoomAlias(`#${name}:${serverName}`);
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

/** The largest multiple of 52 below 256: bytes at or above it are skipped, so every letter is equally likely. */
const UNBIASED_LIMIT = 256 - (256 % LETTERS.length);

/**
 * `len` ASCII letters drawn from `random` (node:crypto randomBytes at the composition edge,
 * see src/random.ts). Pure: the same bytes give the same letters.
 */
export function randomString(len: number, random: RandomBytes): string {
  let s = '';
  while (s.length < len) {
    for (const b of random(len - s.length)) {
      if (b < UNBIASED_LIMIT && s.length < len) s += LETTERS[b % LETTERS.length];
    }
  }
  return s;
}
