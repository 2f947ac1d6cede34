// Checks every PDU that reaches us (federation-v1.md §7 steps 2-3): shape, integer-only numbers,
// signatures of the origin and of the sender's server, content hash. The JSON we keep is the
// text as received minus `unsigned`, or the pruned form when the content hash does not match.
import { canonicalJson, findNonIntegerNumber, setTopLevelMember } from '../crypto/index.js';
import {
  MAX_EVENT_BYTES, checkContentHash, overlongField, eventSender, isJsonObject, isValidEventId, isValidRoomId, isValidUserId, redactedForm, serverOf,
  isValidDepth, isValidServerName, MAX_DEPTH,
  computeContentHash,
  type JsonObject, type Pdu,
} from '../events/index.js';
import type { Keyring } from './keyring.js';

export interface CheckedPdu {
  pdu: Pdu;
  /** What we store: as received without `unsigned`, or the pruned form on a hash mismatch. */
  json: string;
  hashMismatch: boolean;
  ageTs: number;
}

export class PduRejected extends Error {}

/** Structural problems, as a message; null when the PDU has the 2015 shape. */
export function pduShapeError(p: unknown): string | null {
  if (!isJsonObject(p)) return 'PDU is not an object';
  if (typeof p.event_id !== 'string') {
    return 'pdu_id' in p || 'context' in p ? 'pre-2015 PDU format (pdu_id/context) is not supported' : 'PDU has no event_id';
  }
  if (!isValidEventId(p.event_id)) return 'invalid event_id';
  if (!isValidRoomId(p.room_id)) return 'invalid room_id';
  if (typeof p.type !== 'string') return 'PDU has no type';
  if (!isValidUserId(eventSender(p))) return 'invalid sender';
  if (typeof p.origin !== 'string' || !isValidServerName(p.origin)) return 'PDU has no valid origin';
  // An event id names the server that made it; the origin's signature is checked below, so
  // nobody can mint ids in another server's name (a redaction rule trusts that name).
  if (serverOf(p.event_id) !== p.origin) return 'event_id is not from the origin server';
  if (!isValidDepth(p.depth)) return `invalid depth (an integer from 0 to ${MAX_DEPTH})`;
  if (!Number.isSafeInteger(p.origin_server_ts)) return 'invalid origin_server_ts';
  if (!isJsonObject(p.content)) return 'content is not an object';
  if (!isJsonObject(p.hashes) || !isJsonObject(p.signatures)) return 'PDU has no hashes or signatures';
  for (const k of ['prev_events', 'auth_events'] as const) {
    const refs = p[k];
    if (!Array.isArray(refs) || !refs.every((r) => Array.isArray(r) && typeof r[0] === 'string')) return `invalid ${k}`;
  }
  if (p.state_key !== undefined && typeof p.state_key !== 'string') return 'invalid state_key';
  if ((p.type as string).includes('\u0000') || (p.state_key as string | undefined)?.includes('\u0000')) return 'NUL in type or state_key';
  if (p.type === 'm.room.create') {
    // Also an auth rule; refused here so that such an event is not even stored as rejected.
    if ((p.prev_events as unknown[]).length > 0) return 'a create event must have no prev_events';
    if (serverOf(p.room_id as string) !== serverOf(eventSender(p)!)) return "a create event must come from the room's own server";
  }
  return null;
}

/**
 * Throws PduRejected when the PDU must not be accepted at all. `raw` is the PDU's exact text;
 * `parsed` is JSON.parse(raw).
 */
export async function checkPdu(raw: string, parsed: unknown, keyring: Keyring, now: number): Promise<CheckedPdu> {
  const shape = pduShapeError(parsed);
  if (shape) throw new PduRejected(shape);
  const bad = findNonIntegerNumber(raw);
  if (bad !== null) throw new PduRejected(`PDU contains a non-integer number (${bad.slice(0, 30)})`);
  // Over the size limits: refused before any signature work, and never stored (not even as rejected).
  const field = overlongField(parsed as JsonObject);
  if (field) throw new PduRejected(`'${field}' too large`);
  if (Buffer.byteLength(raw, 'utf8') > MAX_EVENT_BYTES) {
    const { unsigned: _u, ...rest } = parsed as JsonObject;
    let bytes: number;
    try {
      bytes = Buffer.byteLength(canonicalJson(rest), 'utf8');
    } catch {
      throw new PduRejected('PDU has no canonical JSON form');
    }
    if (bytes > MAX_EVENT_BYTES) throw new PduRejected('event too large');
  }
  let pdu = parsed as Pdu;
  // A 2014-style PDU with only user_id: the client format and auth rules read `sender`.
  if (typeof pdu.sender !== 'string') throw new PduRejected('PDU has no sender (user_id-only PDUs are not accepted)');
  const servers = new Set([pdu.origin, serverOf(pdu.sender)]);
  for (const server of servers) {
    if (!(await keyring.verifyEvent(pdu, server))) {
      throw new PduRejected(`signature of ${server} missing or invalid`);
    }
  }
  const unsigned = isJsonObject(pdu.unsigned) ? pdu.unsigned : {};
  const age = typeof unsigned.age === 'number' ? unsigned.age : typeof pdu.age === 'number' ? (pdu.age as number) : 0;
  const ageTs = now - Math.max(0, age);
  let json = setTopLevelMember(raw.trim(), 'unsigned', undefined);
  let hashMismatch = false;
  if (!checkContentHash(pdu)) {
    // Not a rejection (Synapse 0.10): the event is kept in its redacted form.
    const redacted = redactedForm(pdu);
    pdu = redacted.event as Pdu;
    json = redacted.json;
    hashMismatch = true;
  } else {
    const { unsigned: _u, ...rest } = pdu;
    pdu = rest as Pdu;
  }
  return { pdu, json, hashMismatch, ageTs };
}

/**
 * A join event sent to send_join with neither `hashes` nor `signatures`, or null when it has
 * them (then checkPdu applies). Synapse 0.12 did not check signatures on send_join, and 2015
 * peers (SyTest's federation tests among them) send the make_join template back unsigned. It
 * is accepted only when the request's authenticated X-Matrix origin is both the event's origin
 * and the joining user's server: the transport signature vouches for it. We add the content
 * hash; the event keeps no signature, so it stays the origin's word and is stored as such.
 */
export function checkUnsignedJoin(parsed: unknown, origin: string, now: number): CheckedPdu | null {
  if (!isJsonObject(parsed) || 'hashes' in parsed || 'signatures' in parsed) return null;
  const { unsigned: _u, ...rest } = parsed;
  const pdu = { ...rest, hashes: { sha256: computeContentHash(rest as JsonObject) }, signatures: {} } as unknown as Pdu;
  const shape = pduShapeError(pdu);
  if (shape) throw new PduRejected(shape);
  const json = canonicalJson(pdu);
  const bad = findNonIntegerNumber(json);
  if (bad !== null) throw new PduRejected(`PDU contains a non-integer number (${bad.slice(0, 30)})`);
  if (typeof pdu.sender !== 'string' || pdu.origin !== origin || serverOf(pdu.sender) !== origin) {
    throw new PduRejected('PDU has no hashes or signatures');
  }
  return { pdu, json, hashMismatch: false, ageTs: now };
}

/** Parses and checks one PDU given as text (from a response body). */
export async function checkPduText(raw: string, keyring: Keyring, now: number): Promise<CheckedPdu> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new PduRejected('PDU is not JSON');
  }
  return checkPdu(raw, parsed, keyring, now);
}

export function asObject(v: unknown): JsonObject {
  return isJsonObject(v) ? v : {};
}
