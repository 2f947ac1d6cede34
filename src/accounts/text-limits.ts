// Bounds on the free-text fields users set outside room events (room events have the 65,536-byte
// event limit of events/event-size.ts). Synapse's profile limits; status messages get the same
// bound as avatar URLs so a presence update stays small on every server it reaches.
import { MatrixError } from '../errors.js';

export const MAX_DISPLAYNAME_LENGTH = 256;
export const MAX_AVATAR_URL_LENGTH = 1000;
export const MAX_STATUS_MSG_LENGTH = 1000;

/** Length in code points, as Synapse (Python) counted; stops early on very long strings. */
function codePoints(s: string, max: number): number {
  if (s.length > 2 * max) return s.length; // more than max code points whatever they are
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function isWithin(s: string, max: number): boolean {
  return s.length <= max || codePoints(s, max) <= max;
}

/** 400 M_TOO_LARGE when `value` (a string or null) is longer than `max`. */
export function checkLength(field: string, value: string | null, max: number): void {
  if (value !== null && !isWithin(value, max)) {
    throw new MatrixError(400, 'M_TOO_LARGE', `'${field}' is too long (max ${max} characters)`);
  }
}
