// Content hash (events-and-crypto.md §4) and reference hash (§5).
import { decodeBase64 } from '../crypto/base64.js';
import { canonicalJson } from '../crypto/canonical-json.js';
import { sha256, sha256Base64 } from '../crypto/hash.js';
import { pruneEvent } from './redaction.js';
import type { EventRef, JsonObject } from './types.js';

// age_ts, outlier and destinations are legacy local bookkeeping that 0.10 also strips.
const NOT_IN_CONTENT_HASH = new Set(['unsigned', 'signatures', 'hashes', 'age_ts', 'outlier', 'destinations']);

function contentHashInput(event: JsonObject): string {
  // A peer's event may carry any top-level key, `__proto__` included: it must be hashed as data.
  const rest: JsonObject = Object.create(null);
  for (const k of Object.keys(event)) if (!NOT_IN_CONTENT_HASH.has(k)) rest[k] = event[k];
  return canonicalJson(rest);
}

export function computeContentHash(event: JsonObject): string {
  return sha256Base64(contentHashInput(event));
}

/**
 * Compares decoded bytes as Synapse does, so a padded hash from a peer still matches.
 * False (never throws) for a missing or malformed hash or an unencodable event.
 */
export function checkContentHash(event: JsonObject): boolean {
  try {
    const hashes = event.hashes as { sha256?: unknown } | undefined;
    if (typeof hashes?.sha256 !== 'string') return false;
    return decodeBase64(hashes.sha256).equals(sha256(contentHashInput(event)));
  } catch {
    return false;
  }
}

export function computeReferenceHash(event: JsonObject): string {
  const { signatures: _s, unsigned: _u, age_ts: _a, ...rest } = pruneEvent(event);
  return sha256Base64(canonicalJson(rest));
}

/** `[event_id, {sha256: reference hash}]` for use in prev_events/auth_events/prev_state. */
export function eventRef(event: JsonObject): EventRef {
  return [String(event.event_id), { sha256: computeReferenceHash(event) }];
}
