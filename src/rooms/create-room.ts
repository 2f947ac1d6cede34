// POST /createRoom: the checks on the request, the room's first events in one transaction, then the invites.
import type { Storage } from '../storage/index.js';
import type { Requester } from '../accounts/auth.js';
import type { JsonObject, EventTemplate } from '../events/index.js';
import { defaultPowerLevelsContent, BAD_ALIAS_NAME, isValidNewAliasName, isValidRoomAlias, isValidUserId, makeRoomId, serverOf } from '../events/index.js';
import { MatrixError, badJson, invalidParam } from '../errors.js';
import type { EventPersister } from './persist.js';
import type { AppserviceRooms } from './ports.js';
import { randomLetters } from '../random.js';

export interface CreateRoomResult {
  room_id: string;
  room_alias?: string;
  /** Invites that failed after the room was made (e.g. an unreachable server). */
  invite_failures?: { user_id: string; errcode: string; error: string }[];
}

export interface CreateRoomBody {
  visibility?: unknown;
  room_alias_name?: unknown;
  name?: unknown;
  topic?: unknown;
  invite?: unknown;
  preset?: unknown;
  initial_state?: unknown;
  creation_content?: unknown;
}

export interface CreateRoomDeps {
  storage: Storage;
  persister: EventPersister;
  serverName: string;
  clock: () => number;
  /** Alias exclusivity of application services (noAppserviceRooms when none). */
  appservices: AppserviceRooms;
}

/**
 * All or nothing: every input is checked first, then the room row, the alias and every
 * initial event are stored in one SQLite transaction (a bad initial_state entry leaves no
 * room and no alias). Invites follow; a failed one (an unreachable server) leaves the room
 * complete and is reported in `invite_failures`, as Synapse created the room and reported it.
 */
export async function createRoom(
  deps: CreateRoomDeps,
  requester: Requester,
  body: CreateRoomBody,
  joinContent: (userId: string) => JsonObject,
  invite: (roomId: string, target: string) => Promise<void>,
): Promise<CreateRoomResult> {
  const visibility = body.visibility ?? 'public'; // Synapse 0.10's v1 servlet default
  if (visibility !== 'public' && visibility !== 'private') throw badJson("'visibility' must be public or private");
  const preset = body.preset ?? (visibility === 'public' ? 'public_chat' : 'private_chat');
  if (preset !== 'public_chat' && preset !== 'private_chat' && preset !== 'trusted_private_chat') throw badJson('Unknown preset');
  const invites = body.invite ?? [];
  if (!Array.isArray(invites) || invites.length > MAX_CREATE_INVITES || !invites.every((u) => typeof u === 'string' && isValidUserId(u))) {
    throw badJson(`'invite' must be a list of at most ${MAX_CREATE_INVITES} user ids`);
  }
  const initialState = parseInitialState(body.initial_state);
  for (const k of ['name', 'topic'] as const) {
    if (body[k] !== undefined && typeof body[k] !== 'string') throw badJson(`'${k}' must be a string`);
  }
  let alias: string | undefined;
  if (body.room_alias_name !== undefined) {
    if (!isValidNewAliasName(body.room_alias_name, deps.serverName)) throw invalidParam(BAD_ALIAS_NAME);
    alias = `#${body.room_alias_name}:${deps.serverName}`;
    if (!isValidRoomAlias(alias)) throw new MatrixError(400, 'M_UNKNOWN', 'Invalid room alias');
    deps.appservices.checkAliasExclusive(alias, requester);
    if (deps.storage.rooms.getAlias(alias)) throw new MatrixError(400, 'M_UNKNOWN', 'Room alias already taken');
  }

  const cc = body.creation_content;
  if (cc !== undefined && (cc === null || typeof cc !== 'object' || Array.isArray(cc))) throw badJson("'creation_content' must be an object");
  if (cc !== undefined && typeof (cc as JsonObject)['m.federate'] !== 'boolean' && (cc as JsonObject)['m.federate'] !== undefined) {
    throw badJson("'m.federate' must be a boolean");
  }
  // Extra keys of the m.room.create content (m.federate), as Synapse 0.12's creation_content.
  const creationContent = (cc ?? {}) as JsonObject;
  const roomId = makeRoomId(deps.serverName, () => randomLetters(18));
  const creator = requester.userId;
  const events: EventTemplate[] = [];
  const add = (type: string, content: JsonObject, sk = '') => events.push({ type, room_id: roomId, sender: creator, content, state_key: sk });
  const has = (type: string) => initialState.some((s) => s.type === type && s.state_key === '');
  add('m.room.create', { ...creationContent, creator });
  add('m.room.member', joinContent(creator), creator);
  if (!has('m.room.power_levels')) add('m.room.power_levels', defaultPowerLevelsContent(creator) as JsonObject);
  const isPublic = preset === 'public_chat';
  if (!has('m.room.join_rules')) add('m.room.join_rules', { join_rule: isPublic ? 'public' : 'invite' });
  if (!has('m.room.history_visibility')) add('m.room.history_visibility', { history_visibility: isPublic ? 'shared' : 'invited' });
  for (const s of initialState) add(s.type, s.content, s.state_key);
  if (typeof body.name === 'string') add('m.room.name', { name: body.name });
  if (typeof body.topic === 'string') add('m.room.topic', { topic: body.topic });
  if (alias) add('m.room.aliases', { aliases: [alias] }, deps.serverName);
  await deps.persister.createLocalEvents(events, () => {
    deps.storage.rooms.createRoom(roomId, creator, visibility === 'public', deps.clock());
    // The alias exists from the first event on, as in Synapse: services watching the alias
    // namespace see the room from its creation on.
    if (alias && !deps.storage.rooms.createAlias(alias, roomId, creator, [deps.serverName])) {
      throw new MatrixError(400, 'M_UNKNOWN', 'Room alias already taken');
    }
  });

  const result: CreateRoomResult = { room_id: roomId };
  if (alias) result.room_alias = alias;
  const failures: { user_id: string; errcode: string; error: string }[] = [];
  for (const target of new Set(invites as string[])) {
    try {
      await invite(roomId, target);
    } catch (e) {
      // A refusal is the peer's answer; anything else says no more than which server failed.
      const refused = e instanceof MatrixError && e.status < 500;
      failures.push({
        user_id: target,
        errcode: refused ? e.errcode : 'M_UNKNOWN',
        error: refused ? e.message : `could not reach ${serverOf(target)}`,
      });
    }
  }
  if (failures.length) result.invite_failures = failures;
  return result;
}

const MAX_CREATE_INVITES = 100;
const MAX_INITIAL_STATE = 100;
const MAX_TYPE_LENGTH = 255;
/** Set by createRoom itself; in initial_state they would fork the room's start. */
const NOT_INITIAL_STATE = new Set(['m.room.create', 'm.room.aliases']);

function parseInitialState(v: unknown): { type: string; state_key: string; content: JsonObject }[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_INITIAL_STATE) throw badJson(`'initial_state' must be a list of at most ${MAX_INITIAL_STATE} events`);
  return v.map((s) => {
    const ok = s && typeof s === 'object' && !Array.isArray(s) && typeof s.type === 'string' && s.type !== '' &&
      s.type.length <= MAX_TYPE_LENGTH && (s.state_key === undefined || (typeof s.state_key === 'string' && s.state_key.length <= MAX_TYPE_LENGTH)) &&
      s.content !== null && typeof s.content === 'object' && !Array.isArray(s.content);
    if (!ok) throw badJson("each 'initial_state' entry needs a string 'type', an object 'content' and a string 'state_key' if any");
    if (NOT_INITIAL_STATE.has(s.type)) throw badJson(`'initial_state' may not contain ${s.type}`);
    return { type: s.type, state_key: s.state_key ?? '', content: s.content };
  });
}
