import { guestsCanJoin } from '../accounts/guests.js';
import type { Storage } from '../storage/index.js';
import type { Requester } from '../accounts/auth.js';
import type { Pdu, JsonObject, StateMap, EventTemplate } from '../events/index.js';
import { defaultPowerLevelsContent, BAD_ALIAS_NAME, isValidNewAliasName, isValidRoomAlias, isValidRoomId, isValidServerName, isValidUserId, makeRoomId, serverOf, userPowerLevel, namedLevel } from '../events/index.js';
import { MatrixError, badJson, forbidden, invalidParam, notFound } from '../errors.js';
import { canonicalJson } from '../crypto/index.js';
import type { EventPersister } from './persist.js';
import type { AppserviceRooms, RemoteRooms } from './ports.js';
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

const MEMBERSHIP_FOR_ACTION = { invite: 'invite', leave: 'leave', ban: 'ban', kick: 'leave', unban: 'leave' } as const;
export type MembershipAction = keyof typeof MEMBERSHIP_FOR_ACTION;

export class RoomService {
  constructor(
    private readonly storage: Storage,
    private readonly persister: EventPersister,
    private readonly serverName: string,
    private readonly clock: () => number,
    /** Rooms on other servers (noRemoteRooms when federation is off). */
    private readonly remote: RemoteRooms,
    /** Alias exclusivity and lazy queries of application services (noAppserviceRooms when none). */
    private readonly appservices: AppserviceRooms,
  ) {}

  /**
   * All or nothing: every input is checked first, then the room row, the alias and every
   * initial event are stored in one SQLite transaction (a bad initial_state entry leaves no
   * room and no alias). Invites follow; a failed one (an unreachable server) leaves the room
   * complete and is reported in `invite_failures`, as Synapse created the room and reported it.
   */
  async createRoom(requester: Requester, body: CreateRoomBody): Promise<CreateRoomResult> {
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
      if (!isValidNewAliasName(body.room_alias_name, this.serverName)) throw invalidParam(BAD_ALIAS_NAME);
      alias = `#${body.room_alias_name}:${this.serverName}`;
      if (!isValidRoomAlias(alias)) throw new MatrixError(400, 'M_UNKNOWN', 'Invalid room alias');
      this.appservices.checkAliasExclusive(alias, requester);
      if (this.storage.rooms.getAlias(alias)) throw new MatrixError(400, 'M_UNKNOWN', 'Room alias already taken');
    }

    const cc = body.creation_content;
    if (cc !== undefined && (cc === null || typeof cc !== 'object' || Array.isArray(cc))) throw badJson("'creation_content' must be an object");
    if (cc !== undefined && typeof (cc as JsonObject)['m.federate'] !== 'boolean' && (cc as JsonObject)['m.federate'] !== undefined) {
      throw badJson("'m.federate' must be a boolean");
    }
    // Extra keys of the m.room.create content (m.federate), as Synapse 0.12's creation_content.
    const creationContent = (cc ?? {}) as JsonObject;
    const roomId = makeRoomId(this.serverName, () => randomLetters(18));
    const creator = requester.userId;
    const events: EventTemplate[] = [];
    const add = (type: string, content: JsonObject, sk = '') => events.push({ type, room_id: roomId, sender: creator, content, state_key: sk });
    const has = (type: string) => initialState.some((s) => s.type === type && s.state_key === '');
    add('m.room.create', { ...creationContent, creator });
    add('m.room.member', this.joinContent(creator), creator);
    if (!has('m.room.power_levels')) add('m.room.power_levels', defaultPowerLevelsContent(creator) as JsonObject);
    const isPublic = preset === 'public_chat';
    if (!has('m.room.join_rules')) add('m.room.join_rules', { join_rule: isPublic ? 'public' : 'invite' });
    if (!has('m.room.history_visibility')) add('m.room.history_visibility', { history_visibility: isPublic ? 'shared' : 'invited' });
    for (const s of initialState) add(s.type, s.content, s.state_key);
    if (typeof body.name === 'string') add('m.room.name', { name: body.name });
    if (typeof body.topic === 'string') add('m.room.topic', { topic: body.topic });
    if (alias) add('m.room.aliases', { aliases: [alias] }, this.serverName);
    await this.persister.createLocalEvents(events, () => {
      this.storage.rooms.createRoom(roomId, creator, visibility === 'public', this.clock());
      // The alias exists from the first event on, as in Synapse: services watching the alias
      // namespace see the room from its creation on.
      if (alias && !this.storage.rooms.createAlias(alias, roomId, creator, [this.serverName])) {
        throw new MatrixError(400, 'M_UNKNOWN', 'Room alias already taken');
      }
    });

    const result: CreateRoomResult = { room_id: roomId };
    if (alias) result.room_alias = alias;
    const failures: { user_id: string; errcode: string; error: string }[] = [];
    for (const target of new Set(invites as string[])) {
      try {
        await this.invite(requester, roomId, target);
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

  /** Resolves `#alias` (locally, via application services, or remotely) or passes a room id through. */
  async resolveRoom(roomIdOrAlias: string): Promise<{ room_id: string; servers: string[] }> {
    if (!roomIdOrAlias.startsWith('#')) {
      if (!isValidRoomId(roomIdOrAlias)) throw invalidParam('Invalid room id or alias');
      return { room_id: roomIdOrAlias, servers: [serverOf(roomIdOrAlias)] };
    }
    const found = await this.lookupAlias(roomIdOrAlias);
    if (!found) throw notFound(`Room alias ${roomIdOrAlias} not found`);
    return found;
  }

  async lookupAlias(alias: string): Promise<{ room_id: string; servers: string[] } | null> {
    if (!isValidRoomAlias(alias)) throw invalidParam('Invalid room alias');
    if (serverOf(alias) !== this.serverName) {
      return this.remote.queryRemoteAlias(alias);
    }
    let row = this.storage.rooms.getAlias(alias);
    if (!row && (await this.appservices.queryAlias(alias))) {
      row = this.storage.rooms.getAlias(alias);
    }
    if (!row) return null;
    const servers = [...new Set([...row.servers, ...this.joinedServers(row.room_id)])];
    servers.sort((a, b) => (a === this.serverName ? -1 : b === this.serverName ? 1 : 0));
    return { room_id: row.room_id, servers };
  }

  async join(requester: Requester, roomIdOrAlias: string): Promise<{ room_id: string }> {
    const { room_id, servers } = await this.resolveRoom(roomIdOrAlias);
    // Guests join only rooms that let them in (m.room.guest_access: can_join).
    if (requester.isGuest && !guestsCanJoin(this.storage, (id) => this.persister.loader.pdu(id)?.content as JsonObject | undefined, room_id)) {
      throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access not allowed');
    }
    const local = this.storage.events.forwardExtremities(room_id).length > 0;
    const hereJoined = local && this.storage.state.joinedServers(room_id).includes(this.serverName);
    if (!hereJoined) {
      // Servers named by an alias's owner are only tried when well-formed: no lookup of anything else.
      const remote = servers.filter((s) => s !== this.serverName && isValidServerName(s));
      const invite = this.inviterServer(room_id, requester.userId);
      if (invite) remote.unshift(invite);
      if (remote.length) {
        await this.remote.joinRemoteRoom(room_id, requester.userId, [...new Set(remote)]);
        this.storage.rooms.unforget(requester.userId, room_id);
        return { room_id };
      }
      if (!local) throw notFound('Unknown room');
    }
    await this.persister.createLocalEvent({
      type: 'm.room.member', room_id, sender: requester.userId, state_key: requester.userId,
      content: this.joinContent(requester.userId),
    });
    this.storage.rooms.unforget(requester.userId, room_id);
    return { room_id };
  }

  /** invite / leave / ban / kick / unban. Repeating the current membership is a no-op, as in Synapse. */
  async membership(requester: Requester, roomId: string, action: MembershipAction, target: string, reason?: string): Promise<void> {
    if (!isValidUserId(target)) throw invalidParam('Invalid user_id');
    this.requireRoom(roomId);
    const membership = MEMBERSHIP_FOR_ACTION[action];
    const current = this.storage.state.membershipOf(roomId, target);
    if (current === membership) return;
    await this.appservices.ensureUser(target);
    if (action === 'invite') return void (await this.invite(requester, roomId, target));
    if (action === 'unban' && current !== 'ban') return;
    const content: JsonObject = { membership };
    if (reason !== undefined && action !== 'leave') content.reason = reason;
    const ev = await this.persister.createLocalEvent({ type: 'm.room.member', room_id: roomId, sender: requester.userId, state_key: target, content });
    const rejectingRemoteInvite = current === 'invite' && target === requester.userId &&
      !this.storage.state.joinedServers(roomId).includes(this.serverName);
    // Rejecting an invite from another server answers once that server has the leave, as
    // Synapse 0.12 did (its make_leave/send_leave were synchronous).
    if (rejectingRemoteInvite) await this.remote.awaitDelivery(ev.pdu);
  }

  async invite(requester: Requester, roomId: string, target: string): Promise<void> {
    if (this.storage.state.membershipOf(roomId, target) === 'invite') return;
    await this.appservices.ensureUser(target);
    if (serverOf(target) !== this.serverName) {
      await this.remote.inviteRemoteUser(roomId, requester.userId, target);
      return;
    }
    await this.persister.createLocalEvent({
      type: 'm.room.member', room_id: roomId, sender: requester.userId, state_key: target, content: { membership: 'invite' },
    });
  }

  async sendEvent(requester: Requester, roomId: string, type: string, content: unknown, txn?: { txnId: string; path: string }): Promise<{ event_id: string }> {
    if (txn) {
      const previous = this.storage.clientTxns.get(requester.tokenHash, txn.path, txn.txnId);
      if (previous) return previous as { event_id: string };
    }
    const body = asContent(content);
    if (type === 'm.room.message' && (typeof body.msgtype !== 'string' || typeof body.body !== 'string')) {
      throw badJson("m.room.message needs string 'msgtype' and 'body'");
    }
    this.requireRoom(roomId);
    const ev = await this.persister.createLocalEvent(
      { type, room_id: roomId, sender: requester.userId, content: body },
      { txn: txn && { tokenHash: requester.tokenHash, path: txn.path, txnId: txn.txnId } },
    );
    return { event_id: ev.pdu.event_id };
  }

  async setState(requester: Requester, roomId: string, type: string, stateKeyValue: string, content: unknown): Promise<{ event_id: string }> {
    const body = asContent(content);
    if (type === 'm.room.member') {
      const m = body.membership;
      if (typeof m !== 'string') throw badJson("m.room.member needs 'membership'");
    }
    this.requireRoom(roomId);
    if (type === 'm.room.aliases' && stateKeyValue === this.serverName) this.checkAliasesContent(roomId, body);
    if (type === 'm.room.canonical_alias' && body.alias !== undefined && body.alias !== null && body.alias !== '') {
      // Synapse 0.12 checked the alias against the directory at the time of setting it.
      if (typeof body.alias !== 'string' || !body.alias.startsWith('#')) throw badJson("'alias' must be a room alias");
      const found = await this.lookupAlias(body.alias);
      if (!found) throw notFound(`Room alias ${body.alias} not found`);
      if (found.room_id !== roomId) throw new MatrixError(400, 'M_UNKNOWN', `Room alias ${body.alias} does not point to the room`);
    }
    if (type !== 'm.room.member') {
      // Synapse 0.12 (SyTest "Setting state twice is idempotent"): the same sender setting the
      // same content again gets the current event back instead of a new one.
      const currentId = this.storage.state.currentStateEventId(roomId, type, stateKeyValue);
      const current = currentId ? this.persister.loader.pdu(currentId) : undefined;
      if (current && current.sender === requester.userId && sameJson(current.content, body)) {
        return { event_id: current.event_id };
      }
    }
    const ev = await this.persister.createLocalEvent({ type, room_id: roomId, sender: requester.userId, content: body, state_key: stateKeyValue });
    return { event_id: ev.pdu.event_id };
  }

  async redact(requester: Requester, roomId: string, eventId: string, content: unknown, txn?: { txnId: string; path: string }): Promise<{ event_id: string }> {
    if (txn) {
      const previous = this.storage.clientTxns.get(requester.tokenHash, txn.path, txn.txnId);
      if (previous) return previous as { event_id: string };
    }
    const body = content === undefined ? {} : asContent(content);
    this.requireRoom(roomId);
    const ev = await this.persister.createLocalEvent(
      { type: 'm.room.redaction', room_id: roomId, sender: requester.userId, content: body, redacts: eventId },
      {
        txn: txn && { tokenHash: requester.tokenHash, path: txn.path, txnId: txn.txnId },
        // v0.12 rule: redact level, or your own event; never an event of another room.
        check: (pdu: Pdu, state: StateMap<Pdu>) => {
          const target = this.storage.events.getEvent(eventId);
          if (target && target.room_id !== roomId) throw notFound(`Event ${eventId} is not in room ${roomId}`);
          if (userPowerLevel(pdu.sender, state) >= namedLevel('redact', 50, state)) return;
          if (!target || target.sender !== pdu.sender) {
            throw forbidden("You don't have permission to redact events");
          }
        },
      },
    );
    return { event_id: ev.pdu.event_id };
  }

  /**
   * Our server's m.room.aliases lists our directory's aliases of the room; the auth rules already
   * confine a sender to their own server's key, this keeps a member from listing aliases that do
   * not lead here (PUT /directory/room/{alias} is the way to add one).
   */
  private checkAliasesContent(roomId: string, body: JsonObject): void {
    const aliases = body.aliases;
    if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string')) throw badJson("'aliases' must be a list of room aliases");
    for (const a of aliases as string[]) {
      if (!isValidRoomAlias(a) || serverOf(a) !== this.serverName || this.storage.rooms.getAlias(a)?.room_id !== roomId) {
        throw forbidden(`${a.slice(0, 300)} is not an alias of this room on ${this.serverName}`);
      }
    }
  }

  /**
   * POST /rooms/{roomId}/forget. As Synapse 0.12 did (and SyTest's 14forget checks), forgetting
   * a room you are in or invited to leaves it first; the room then disappears for you.
   */
  async forget(requester: Requester, roomId: string): Promise<void> {
    const membership = this.storage.state.membershipOf(roomId, requester.userId);
    if (membership === null) throw notFound(`Unknown room ${roomId}`);
    if (membership === 'join' || membership === 'invite') await this.membership(requester, roomId, 'leave', requester.userId);
    this.storage.rooms.forget(requester.userId, roomId);
    const leaveId = this.storage.state.currentStateEventId(roomId, 'm.room.member', requester.userId);
    const at = leaveId ? this.storage.events.getEvent(leaveId)?.stream_ordering : null;
    if (typeof at === 'number') this.storage.forgotten.forgetUpTo(requester.userId, roomId, at);
  }

  /** Re-sends the user's join with their current profile (after a displayname/avatar change). */
  async announceProfile(userId: string, roomId: string): Promise<void> {
    await this.persister.createLocalEvent({ type: 'm.room.member', room_id: roomId, sender: userId, state_key: userId, content: this.joinContent(userId) });
  }

  /** Content of a join: the user's profile, as Synapse filled it in for local joins. */
  joinContent(userId: string): JsonObject {
    return joinContentOf(this.storage, userId);
  }

  joinedServers(roomId: string): string[] {
    return [...this.storage.state.joinedServers(roomId)];
  }

  requireRoom(roomId: string): void {
    if (this.storage.events.forwardExtremities(roomId).length === 0) throw notFound(`Unknown room ${roomId}`);
  }

  /** The server of whoever invited this user, the one place a remote room is known to live. */
  private inviterServer(roomId: string, userId: string): string | null {
    const id = this.storage.state.currentStateEventId(roomId, 'm.room.member', userId);
    const ev = id ? this.persister.loader.pdu(id) : undefined;
    return ev && (ev.content as JsonObject).membership === 'invite' ? serverOf(ev.sender) : null;
  }
}

function asContent(content: unknown): JsonObject {
  if (content === undefined || content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw new MatrixError(400, 'M_NOT_JSON', 'Content must be a JSON object.');
  }
  return content as JsonObject;
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

/** Equal as canonical JSON; content that has no canonical form (floats, huge numbers) equals nothing. */
function sameJson(a: JsonObject, b: JsonObject): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

/** Content of a join: the user's profile, as Synapse filled it in for local joins (and remote ones: federation/joins.ts). */
export function joinContentOf(storage: Pick<Storage, 'users'>, userId: string): JsonObject {
  const p = storage.users.getProfile(userId);
  const content: JsonObject = { membership: 'join' };
  if (p?.displayname != null) content.displayname = p.displayname;
  if (p?.avatar_url != null) content.avatar_url = p.avatar_url;
  return content;
}
