// Checks every PDU that reaches us (federation-v1.md §7 steps 2-3): shape, integer-only numbers,
// size, signatures of the origin and of the sender's server, content hash. Pure: the keys come
// from a VerifyKeys the caller resolved first (federation/pdu-check.ts fetches them with its
// Keyring, between precheckPdu and verifyPdu). The JSON we keep is the text as received minus
// `unsigned`, or the pruned form when the content hash does not match.
import type { PublicKey } from '../crypto/ed25519.js';
import { canonicalJson, findNonIntegerNumber, setTopLevelMember, signatureKeyIds } from '../crypto/index.js';
import { checkContentHash, computeContentHash } from './hashing.js';
import { isValidDepth, MAX_DEPTH } from './builder.js';
import { isValidEventId, isValidRoomId, isValidServerName, isValidUserId, serverOf } from './ids.js';
import { MAX_EVENT_BYTES, overlongField } from './event-size.js';
import { verifyEventSignature } from './event-signing.js';
import { redactedForm } from './redaction.js';
import { eventSender, isJsonObject, type JsonObject, type Pdu } from './types.js';

/** Public keys the caller already holds: raw bytes, unpadded base64 or a KeyObject; null when unknown. */
export interface VerifyKeys {
  key(server: string, keyId: string): PublicKey | null;
}

export interface CheckedPdu {
  pdu: Pdu;
  /** What we store: as received without `unsigned`, or the pruned form on a hash mismatch. */
  json: string;
  hashMismatch: boolean;
  ageTs: number;
}

/** A PDU that must not be accepted at all (not even stored as rejected): the reason as text. */
export class PduRejected extends Error {
  override name = 'PduRejected';
}

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
 * The checks that need no key (shape, numbers, size), run before any key is looked up or
 * fetched. `raw` is the PDU's exact text, `parsed` is JSON.parse(raw). Throws PduRejected.
 */
export function precheckPdu(raw: string, parsed: unknown): Pdu {
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
  const pdu = parsed as Pdu;
  // A 2014-style PDU with only user_id: the client format and auth rules read `sender`.
  if (typeof pdu.sender !== 'string') throw new PduRejected('PDU has no sender (user_id-only PDUs are not accepted)');
  return pdu;
}

/** The servers that must have signed a (prechecked) PDU, each with the ed25519 key ids it signed with. */
export function keysWanted(pdu: Pdu): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const server of new Set([pdu.origin, serverOf(pdu.sender)])) out.set(server, signatureKeyIds(pdu, server));
  return out;
}

/** Signatures (by keys from `keys`) and content hash of a PDU that passed precheckPdu. Throws PduRejected. */
export function verifyPdu(raw: string, prechecked: Pdu, keys: VerifyKeys, now: number): CheckedPdu {
  let pdu = prechecked;
  for (const [server, keyIds] of keysWanted(pdu)) {
    const signed = keyIds.some((id) => {
      const key = keys.key(server, id);
      return key !== null && verifyEventSignature(pdu, server, id, key);
    });
    if (!signed) throw new PduRejected(`signature of ${server} missing or invalid`);
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

/** The whole check with keys at hand: precheckPdu, then verifyPdu. Throws PduRejected. */
export function checkPdu(raw: string, parsed: unknown, keys: VerifyKeys, now: number): CheckedPdu {
  return verifyPdu(raw, precheckPdu(raw, parsed), keys, now);
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
