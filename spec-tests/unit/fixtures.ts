// Tiny builders for auth-rule and state-resolution tests: events need only the fields the
// rules read, so there is no hashing or signing here.
import { defaultPowerLevelsContent, stateKey, type JsonObject, type StateMap } from '../../src/events/index.js';

export const ROOM = '!room:hs';
export const ALICE = '@alice:hs'; // creator
export const BOB = '@bob:hs';
export const CAROL = '@carol:other';

let counter = 0;

export interface EvOpts {
  state_key?: string;
  event_id?: string;
  depth?: number;
  prev?: string[];
  redacts?: string;
  room_id?: string;
}

export function ev(type: string, sender: string, content: JsonObject, o: EvOpts = {}): JsonObject {
  const e: JsonObject = {
    event_id: o.event_id ?? `$${++counter}:${sender.split(':')[1]}`,
    room_id: o.room_id ?? ROOM,
    type,
    sender,
    content,
    depth: o.depth ?? 10,
    origin: sender.split(':')[1],
    origin_server_ts: 0,
    prev_events: (o.prev ?? ['$prev:hs']).map((id) => [id, { sha256: 'x' }]),
    auth_events: [],
    hashes: { sha256: 'x' },
    signatures: {},
  };
  if (o.state_key !== undefined) e.state_key = o.state_key;
  if (o.redacts !== undefined) e.redacts = o.redacts;
  return e;
}

export function member(sender: string, target: string, membership: string, o: EvOpts = {}): JsonObject {
  return ev('m.room.member', sender, { membership }, { ...o, state_key: target });
}

export function stateOf(...events: JsonObject[]): StateMap<JsonObject> {
  const m: StateMap<JsonObject> = new Map();
  for (const e of events) m.set(stateKey(e.type as string, e.state_key as string), e);
  return m;
}

export const createEvent = (creator = ALICE, extra: JsonObject = {}) =>
  ev('m.room.create', creator, { creator, ...extra }, { state_key: '', event_id: '$create:hs', depth: 1, prev: [] });

/** A room as createRoom leaves it: create, creator joined, default PLs, the given join rule. */
export function room(joinRule = 'invite', ...more: JsonObject[]): StateMap<JsonObject> {
  return stateOf(
    createEvent(),
    member(ALICE, ALICE, 'join'),
    ev('m.room.power_levels', ALICE, defaultPowerLevelsContent(ALICE), { state_key: '' }),
    ev('m.room.join_rules', ALICE, { join_rule: joinRule }, { state_key: '' }),
    ...more,
  );
}

export function withPowerLevels(state: StateMap<JsonObject>, content: JsonObject): StateMap<JsonObject> {
  const m = new Map(state);
  const pl = ev('m.room.power_levels', ALICE, content, { state_key: '' });
  m.set(stateKey('m.room.power_levels', ''), pl);
  return m;
}
