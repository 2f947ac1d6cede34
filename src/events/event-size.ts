// v0.11 size limits (events-and-crypto.md §3.3).
import { canonicalJson } from '../crypto/canonical-json.js';
import { EventTooLargeError } from './auth-errors.js';
import type { JsonObject } from './types.js';

export const MAX_ID_FIELD_LENGTH = 255;
export const MAX_EVENT_BYTES = 65536;
const LIMITED_FIELDS = ['sender', 'user_id', 'room_id', 'state_key', 'type', 'event_id'];

/** The first over-long identifier field of the event, if any. */
export function overlongField(event: JsonObject): string | undefined {
  return LIMITED_FIELDS.find((f) => {
    const v = event[f];
    return typeof v === 'string' && v.length > MAX_ID_FIELD_LENGTH;
  });
}

/**
 * Checks both the field limits and the whole-event limit. Kept out of checkEventAuth
 * because encoding the event is too costly to repeat in every state-resolution step.
 * `encoded`: the event's canonical JSON, when the caller already has it (encoded once).
 */
export function checkEventSize(event: JsonObject, encoded?: string): void {
  const field = overlongField(event);
  if (field) throw new EventTooLargeError(`'${field}' too large`);
  if (Buffer.byteLength(encoded ?? canonicalJson(event), 'utf8') > MAX_EVENT_BYTES) {
    throw new EventTooLargeError('event too large');
  }
}
