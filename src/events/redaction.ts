// Synapse 0.10 prune_event (events-and-crypto.md §6): what survives a redaction, and
// therefore what event signatures and reference hashes cover.
import { canonicalJson } from '../crypto/canonical-json.js';
import { contentOf, isJsonObject, type JsonObject } from './types.js';

const KEPT_TOP_LEVEL = [
  'event_id', 'sender', 'room_id', 'hashes', 'signatures', 'content', 'type', 'state_key',
  'depth', 'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts',
  'membership', // legacy 2014 top-level key, still kept by 0.10
];

const KEPT_CONTENT: Record<string, readonly string[]> = {
  'm.room.member': ['membership'],
  'm.room.create': ['creator'],
  'm.room.join_rules': ['join_rule'],
  // `invite` is deliberately absent: a redacted PL event falls back to invite level 0.
  'm.room.power_levels': [
    'users', 'users_default', 'events', 'events_default', 'state_default', 'ban', 'kick', 'redact',
  ],
  'm.room.aliases': ['aliases'],
  'm.room.history_visibility': ['history_visibility'],
};

/**
 * Returns a new pruned event. Kept values are shared with the input, not copied: treat
 * both as immutable.
 */
export function pruneEvent(event: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of KEPT_TOP_LEVEL) {
    if (Object.hasOwn(event, k) && event[k] !== undefined) out[k] = event[k];
  }
  out.content = prunedContent(event);
  const unsigned = event.unsigned;
  out.unsigned = isJsonObject(unsigned) && Object.hasOwn(unsigned, 'age_ts') ? { age_ts: unsigned.age_ts } : {};
  return out;
}

function prunedContent(event: JsonObject): JsonObject {
  const type = event.type;
  const keep = typeof type === 'string' && Object.hasOwn(KEPT_CONTENT, type) ? KEPT_CONTENT[type]! : [];
  const content = contentOf(event);
  const out: JsonObject = {};
  for (const k of keep) {
    if (Object.hasOwn(content, k) && content[k] !== undefined) out[k] = content[k];
  }
  return out;
}

/**
 * An event in its redacted form, as stored and sent to other servers: pruned and without
 * `unsigned` (the sender's own `unsigned` is not ours to pass on), as an object and as
 * canonical JSON text. The one place that re-encodes a remote event (its signatures still
 * verify: they cover exactly this pruned form).
 */
export function redactedForm(event: JsonObject): { event: JsonObject; json: string } {
  const { unsigned: _u, ...pruned } = pruneEvent(event);
  return { event: pruned, json: canonicalJson(pruned) };
}

/** The redacted form's canonical JSON text (see redactedForm). */
export function redactedJson(event: JsonObject): string {
  return redactedForm(event).json;
}
