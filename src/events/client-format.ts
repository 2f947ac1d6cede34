// PDU -> client API v1 event (events-and-crypto.md §3.2). Emits both `user_id` (0.10) and
// `sender` (0.12) so clients of either era find the field they look for.
import { eventSender, isJsonObject, type JsonObject } from './types.js';

export interface ClientFormatOptions {
  now: number;
  ageTs?: number;
  prevContent?: JsonObject;
  prevSender?: string;
  replacesState?: string;
  redactedBecause?: JsonObject;
  transactionId?: string;
}

const FEDERATION_ONLY = [
  'auth_events', 'prev_events', 'hashes', 'signatures', 'depth', 'unsigned', 'origin', 'prev_state',
  'age_ts', 'outlier', 'destinations', // legacy bookkeeping, never for clients
];
const FROM_UNSIGNED = ['age', 'redacted_because', 'replaces_state', 'prev_content'];

export function toClientEvent(pdu: JsonObject, opts: ClientFormatOptions): JsonObject {
  const unsigned = isJsonObject(pdu.unsigned) ? pdu.unsigned : {};
  const out: JsonObject = { ...pdu };
  for (const k of FEDERATION_ONLY) delete out[k];
  for (const k of FROM_UNSIGNED) if (unsigned[k] !== undefined) out[k] = unsigned[k];

  const sender = eventSender(pdu);
  if (sender !== undefined) {
    out.sender = sender;
    out.user_id = sender;
  }
  // Synapse's member events carried `membership` at the top level too (its event builder put it
  // there); clients and services of the era read it (SyTest 60app-services).
  if (pdu.type === 'm.room.member' && isJsonObject(pdu.content) && typeof pdu.content.membership === 'string') {
    out.membership = pdu.content.membership;
  }
  const age = ageOf(pdu, unsigned, opts);
  if (age !== undefined) out.age = age;
  if (opts.prevContent !== undefined) out.prev_content = opts.prevContent;
  if (opts.prevSender !== undefined) out.prev_sender = opts.prevSender;
  if (opts.replacesState !== undefined) out.replaces_state = opts.replacesState;
  if (opts.redactedBecause !== undefined) out.redacted_because = opts.redactedBecause;
  // v1 drops `unsigned`; a transaction id is only useful to clients that read it there.
  if (opts.transactionId !== undefined) out.unsigned = { transaction_id: opts.transactionId };
  return out;
}

function ageOf(pdu: JsonObject, unsigned: JsonObject, opts: ClientFormatOptions): number | undefined {
  if (opts.ageTs !== undefined) return opts.now - opts.ageTs;
  if (typeof unsigned.age === 'number') return unsigned.age;
  if (typeof unsigned.age_ts === 'number') return opts.now - unsigned.age_ts;
  if (typeof pdu.origin_server_ts === 'number') return opts.now - pdu.origin_server_ts;
  return undefined;
}
