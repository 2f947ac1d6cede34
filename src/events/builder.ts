// Assembles a new PDU from a template and the room's graph position. Pure: the caller
// supplies event ID, time and the prev/auth events; hashing and signing come afterwards.
import type { EventRef, JsonObject, Pdu } from './types.js';

/**
 * The largest depth an event may carry. A peer may claim any depth, and ours is one more than the
 * deepest prev_event: capped here, it stays an integer canonical JSON can encode exactly (a PDU
 * at depth 2^53-1 once made every later local event of its room unencodable).
 */
export const MAX_DEPTH = Number.MAX_SAFE_INTEGER;

export function isValidDepth(d: unknown): d is number {
  return Number.isSafeInteger(d) && (d as number) >= 0 && (d as number) <= MAX_DEPTH;
}

/** Synapse's later rule: min(max(prev depths) + 1, cap). */
export function depthAfter(prevDepths: number[]): number {
  return Math.min(prevDepths.reduce((max, d) => Math.max(max, d), 0) + 1, MAX_DEPTH);
}

export interface EventTemplate {
  type: string;
  room_id: string;
  sender: string;
  content: JsonObject;
  state_key?: string;
  redacts?: string;
}

export interface BuildOptions {
  eventId: string;
  origin: string;
  originServerTs: number;
  prevEvents: { event_id: string; depth: number; referenceHash: string }[];
  authEvents: { event_id: string; referenceHash: string }[];
  prevState?: EventRef[];
}

/**
 * Returns the event with placeholder `hashes: {sha256: ''}` and `signatures: {}`; pass it to
 * hashAndSignEvent before storing or sending. Typed as Pdu (a subtype of
 * `Omit<Pdu,'hashes'|'signatures'> & {...}`, whose index signature would hide every field).
 */
export function buildEvent(t: EventTemplate, opts: BuildOptions): Pdu {
  const depth = depthAfter(opts.prevEvents.map((p) => p.depth));
  const event: Pdu = {
    auth_events: opts.authEvents.map((a): EventRef => [a.event_id, { sha256: a.referenceHash }]),
    content: t.content,
    depth,
    event_id: opts.eventId,
    hashes: { sha256: '' },
    origin: opts.origin,
    origin_server_ts: opts.originServerTs,
    prev_events: opts.prevEvents.map((p): EventRef => [p.event_id, { sha256: p.referenceHash }]),
    room_id: t.room_id,
    sender: t.sender,
    signatures: {},
    type: t.type,
  };
  if (t.state_key !== undefined) {
    event.state_key = t.state_key;
    event.prev_state = opts.prevState ?? [];
  }
  if (t.redacts !== undefined) event.redacts = t.redacts;
  return event;
}
