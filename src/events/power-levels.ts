// Power-level lookups over a room's state (auth-rules-and-state.md §3.2), with the
// RECOMMENDED rule that an explicit users[user] entry wins even when it is 0.
import { contentOf, isJsonObject, stateKey, type JsonObject, type StateMap } from './types.js';

const PL_KEY = stateKey('m.room.power_levels', '');
const CREATE_KEY = stateKey('m.room.create', '');

/**
 * Python int() as 0.10 applied it: integers, floats truncated, booleans, and numeric
 * strings with surrounding whitespace. Null when int() would have raised (or for null).
 */
export function toIntLevel(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[+-]?[0-9]+\s*$/.test(v)) {
    const n = parseInt(v.trim(), 10);
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

export function powerLevelsContent(state: StateMap<JsonObject>): JsonObject | undefined {
  const pl = state.get(PL_KEY);
  return pl ? contentOf(pl) : undefined;
}

function objectAt(content: JsonObject, key: string): JsonObject {
  const v = content[key];
  return isJsonObject(v) ? v : {};
}

export function userPowerLevel(userId: string, state: StateMap<JsonObject>): number {
  const pl = powerLevelsContent(state);
  if (!pl) {
    const creator = contentOf(state.get(CREATE_KEY)).creator;
    return state.has(CREATE_KEY) && creator === userId ? 100 : 0;
  }
  const users = objectAt(pl, 'users');
  // An uncoercible entry is treated as absent rather than failing every check in the room.
  const own = Object.hasOwn(users, userId) ? toIntLevel(users[userId]) : null;
  return own ?? toIntLevel(pl.users_default) ?? 0;
}

/** `ban`, `kick`, `redact`, `invite`: the PL event's value when present, else `dflt`. */
export function namedLevel(name: string, dflt: number, state: StateMap<JsonObject>): number {
  const pl = powerLevelsContent(state);
  if (!pl) return dflt;
  return toIntLevel(pl[name]) ?? dflt;
}

export function requiredLevelToSend(type: string, isState: boolean, state: StateMap<JsonObject>): number {
  const pl = powerLevelsContent(state);
  if (!pl) return 0; // no PL event: every member may send anything
  const events = objectAt(pl, 'events');
  const explicit = Object.hasOwn(events, type) ? toIntLevel(events[type]) : null;
  if (explicit !== null) return explicit;
  return isState ? (toIntLevel(pl.state_default) ?? 50) : (toIntLevel(pl.events_default) ?? 0);
}

/** The content createRoom sends (client-api-v1.md §2.1). */
export function defaultPowerLevelsContent(creator: string): JsonObject {
  return {
    users: { [creator]: 100 },
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
  };
}
