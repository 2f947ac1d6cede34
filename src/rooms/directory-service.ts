import type { Storage } from '../storage/index.js';
import type { Requester } from '../accounts/auth.js';
import type { RoomService } from './room-service.js';
import type { EventPersister } from './persist.js';
import type { AppserviceRooms } from './ports.js';
import { BAD_ALIAS_NAME, isValidNewAliasName, isValidRoomAlias, isValidRoomId, isValidServerName, serverOf, type JsonObject } from '../events/index.js';
import { MatrixError, forbidden, invalidParam, notFound } from '../errors.js';

/** Servers one alias may name (they are stored and served with every lookup). */
const MAX_ALIAS_SERVERS = 100;
const isServerName = (s: unknown): s is string => typeof s === 'string' && s.length <= 255 && isValidServerName(s);

/** Room aliases (the directory) and the public room list. */
export class DirectoryService {
  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomService,
    private readonly persister: EventPersister,
    private readonly serverName: string,
    private readonly admins: Pick<Set<string>, 'has'>,
    /** Alias exclusivity of application services: required, so nothing fails open. */
    private readonly appservices: AppserviceRooms,
  ) {}

  async resolve(alias: string): Promise<{ room_id: string; servers: string[] }> {
    validAlias(alias);
    const found = await this.rooms.lookupAlias(alias);
    if (!found) throw notFound(`Room alias ${alias} not found`);
    return found;
  }

  /** PUT /directory/room/{alias}: map a local alias, then announce the room's aliases. */
  async create(requester: Requester, alias: string, body: Record<string, unknown>): Promise<void> {
    validAlias(alias);
    if (serverOf(alias) !== this.serverName) throw new MatrixError(400, 'M_UNKNOWN', 'Room alias must be local');
    if (!isValidNewAliasName(aliasName(alias), this.serverName)) throw invalidParam(BAD_ALIAS_NAME);
    if (typeof body.room_id !== 'string') throw new MatrixError(400, 'M_BAD_JSON', "Missing 'room_id'");
    if (!isValidRoomId(body.room_id)) throw invalidParam('Invalid room_id');
    const servers = body.servers ?? this.rooms.joinedServers(body.room_id);
    if (!Array.isArray(servers) || servers.length === 0 || servers.length > MAX_ALIAS_SERVERS || !servers.every(isServerName)) {
      throw new MatrixError(400, 'M_BAD_JSON', "'servers' must be a non-empty list of server names");
    }
    this.appservices.checkAliasExclusive(alias, requester);
    this.rooms.requireRoom(body.room_id);
    if (!this.storage.rooms.createAlias(alias, body.room_id, requester.userId, servers as string[])) {
      throw new MatrixError(409, 'M_UNKNOWN', `Room alias ${alias} already exists`);
    }
    // An application service maps aliases of its namespace (checked above) without being in the
    // room, as Synapse's services did (SyTest 60app-services); it cannot announce them in the room.
    if (requester.appserviceId !== null && this.storage.state.membershipOf(body.room_id, requester.userId) !== 'join') return;
    try {
      await this.announceAliases(requester.userId, body.room_id);
    } catch (err) {
      // Someone who may not send m.room.aliases (not in the room) gets a 403 and no alias.
      this.storage.rooms.deleteAlias(alias);
      throw err;
    }
  }

  /**
   * DELETE /directory/room/{alias}: server admins (config `admins`), the alias's creator, or an
   * application service; then the exclusivity hook (an AS only within its alias namespace).
   * Synapse 0.10 allowed admins only, which left users unable to take back their own typo;
   * later Synapse let the creator delete too, and so do we. Like 0.10, m.room.aliases is not re-sent.
   */
  delete(requester: Requester, alias: string): void {
    validAlias(alias);
    const row = this.storage.rooms.getAlias(alias);
    if (!row) throw notFound(`Room alias ${alias} not found`);
    const allowed = this.admins.has(requester.userId) || row.creator === requester.userId || requester.appserviceId !== null;
    if (!allowed) throw forbidden('You need to be a server admin or the creator of the alias');
    this.appservices.checkAliasExclusive(alias, requester);
    this.storage.rooms.deleteAlias(alias);
  }

  /** The room's m.room.aliases event for this server: every local alias, sent as `sender`. */
  private async announceAliases(sender: string, roomId: string): Promise<void> {
    const aliases = this.storage.rooms.aliasesForRoom(roomId).filter((a) => serverOf(a) === this.serverName);
    await this.persister.createLocalEvent({ type: 'm.room.aliases', room_id: roomId, sender, state_key: this.serverName, content: { aliases } });
  }

  /** GET /publicRooms: rooms created public that have at least one alias. */
  publicRooms(): JsonObject {
    const chunk: JsonObject[] = [];
    for (const roomId of this.storage.rooms.publicRoomIds()) {
      const aliases = this.storage.rooms.aliasesForRoom(roomId);
      if (aliases.length === 0) continue;
      chunk.push({
        room_id: roomId,
        aliases,
        name: this.stateContent(roomId, 'm.room.name')?.name ?? null,
        topic: this.stateContent(roomId, 'm.room.topic')?.topic ?? null,
        num_joined_members: this.storage.state.membersWith(roomId, 'join').length,
        // Synapse 0.12: whether anyone may read it, and whether guests may join.
        world_readable: this.stateContent(roomId, 'm.room.history_visibility')?.history_visibility === 'world_readable',
        guest_can_join: this.stateContent(roomId, 'm.room.guest_access')?.guest_access === 'can_join',
      });
    }
    return { start: 'START', end: 'END', chunk };
  }

  private stateContent(roomId: string, type: string): JsonObject | undefined {
    const id = this.storage.state.currentStateEventId(roomId, type, '');
    return id ? (this.persister.loader.pdu(id)?.content as JsonObject | undefined) : undefined;
  }
}

function validAlias(alias: string): void {
  if (!isValidRoomAlias(alias)) throw invalidParam('Invalid room alias');
}

/** `#name:server` -> `name` (the alias name a client chose). */
function aliasName(alias: string): string {
  return alias.slice(1, alias.indexOf(':'));
}
