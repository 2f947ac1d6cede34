// The original ("v1") state resolution of 2015 with the v0.11 fix that resolves power
// levels first (auth-rules-and-state.md §6).
import { createHash } from 'node:crypto';
import { isEventAllowed } from './auth-rules.js';
import { splitStateKey, stateKey, type JsonObject, type StateMap } from './types.js';

const AUTH_TYPES = new Set([
  'm.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.join_rules', 'm.room.history_visibility',
]);
const PL_KEY = stateKey('m.room.power_levels', '');

export function resolveState<T extends JsonObject>(stateSets: StateMap<T>[]): StateMap<T> {
  if (stateSets.length === 0) return new Map();
  if (stateSets.every((s) => sameState(s, stateSets[0]!))) return new Map(stateSets[0]);

  const { unconflicted, conflicted } = partition(stateSets);
  const authEvents: StateMap<JsonObject> = new Map();
  for (const [k, ev] of unconflicted) if (AUTH_TYPES.has(splitStateKey(k)[0])) authEvents.set(k, ev);

  const resolved: StateMap<T> = new Map();
  const resolvePhase = (match: (type: string, key: string) => boolean, how: typeof resolveAuthEvents): void => {
    for (const [k, events] of conflicted) {
      if (resolved.has(k) || !match(splitStateKey(k)[0], k)) continue;
      resolved.set(k, how(events, authEvents));
    }
    for (const [k, ev] of resolved) authEvents.set(k, ev);
  };
  resolvePhase((_t, k) => k === PL_KEY, resolveAuthEvents);
  resolvePhase((t) => t === 'm.room.join_rules', resolveAuthEvents);
  resolvePhase((t) => t === 'm.room.member', resolveAuthEvents);
  resolvePhase(() => true, resolveNormalEvents);

  return new Map([...unconflicted, ...resolved]);
}

function sameState<T extends JsonObject>(a: StateMap<T>, b: StateMap<T>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, ev] of a) {
    const other = b.get(k);
    if (!other || other.event_id !== ev.event_id) return false;
  }
  return true;
}

/** Absence from some sets is not a conflict; two distinct event IDs for a key are. */
function partition<T extends JsonObject>(stateSets: StateMap<T>[]) {
  const byKey = new Map<string, Map<unknown, T>>();
  for (const set of stateSets) {
    for (const [k, ev] of set) {
      let events = byKey.get(k);
      if (!events) byKey.set(k, (events = new Map()));
      if (!events.has(ev.event_id)) events.set(ev.event_id, ev);
    }
  }
  const unconflicted: StateMap<T> = new Map();
  const conflicted = new Map<string, T[]>();
  for (const [k, events] of byKey) {
    if (events.size === 1) unconflicted.set(k, events.values().next().value as T);
    else conflicted.set(k, [...events.values()]);
  }
  return { unconflicted, conflicted };
}

/** Highest depth first; ties by the hex SHA-1 of the event ID, smallest first. */
export function orderEvents<T extends JsonObject>(events: T[]): T[] {
  const keyed = events.map((ev) => ({ ev, depth: depthOf(ev), sha: sha1Hex(String(ev.event_id)) }));
  keyed.sort((a, b) => b.depth - a.depth || (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
  return keyed.map((x) => x.ev);
}

function depthOf(ev: JsonObject): number {
  return typeof ev.depth === 'number' ? ev.depth : 0;
}

function sha1Hex(s: string): string {
  return createHash('sha1').update(s, 'utf8').digest('hex');
}

/** Walks up from the oldest candidate and stops at the first one the previous does not authorise. */
function resolveAuthEvents<T extends JsonObject>(events: T[], authEvents: StateMap<JsonObject>): T {
  const rev = orderEvents(events).reverse();
  const a = new Map(authEvents);
  let prev = rev[0]!;
  for (const ev of rev.slice(1)) {
    a.set(stateKey(String(prev.type), String(prev.state_key)), prev);
    if (!isEventAllowed(ev, a)) return prev;
    prev = ev;
  }
  return prev;
}

/** The highest-ordered candidate that passes auth; the lowest if none does. */
function resolveNormalEvents<T extends JsonObject>(events: T[], authEvents: StateMap<JsonObject>): T {
  const ordered = orderEvents(events);
  return ordered.find((ev) => isEventAllowed(ev, authEvents)) ?? ordered[ordered.length - 1]!;
}
