import { guestsCanJoin } from '../accounts/guests.js';
import type { Storage } from '../storage/index.js';
import type { Requester } from '../accounts/auth.js';
import type { Pdu, JsonObject, StateMap } from '../events/index.js';
import { isValidRoomAlias, isValidRoomId, isValidServerName, isValidUserId, serverOf, userPowerLevel, namedLevel } from '../events/index.js';
import { MatrixError, badJson, forbidden, invalidParam, notFound } from '../errors.js';
import { canonicalJson } from '../crypto/index.js';
import type { EventPersister } from './persist.js';
import type { AppserviceRooms, RemoteRooms } from './ports.js';
import { createRoom, type CreateRoomBody, type CreateRoomResult } from './create-room.js';

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

  /** POST /createRoom: see create-room.ts. */
  createRoom(requester: Requester, body: CreateRoomBody): Promise<CreateRoomResult> {
    const deps = { storage: this.storage, persister: this.persister, serverName: this.serverName, clock: this.clock, appservices: this.appservices };
    return createRoom(deps, requester, body, (userId) => this.joinContent(userId), (roomId, target) => this.invite(requester, roomId, target));
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
