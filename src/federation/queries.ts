// GET /query/{type} (federation-v1.md §6.1-6.2), and the client side of alias and profile lookups.
import type { Storage } from '../storage/index.js';
import type { RoomService } from '../rooms/room-service.js';
import { isJsonObject, isValidRoomAlias, isValidRoomId, isValidServerName, isValidUserId, serverOf, type JsonObject } from '../events/index.js';
import { MatrixError, notFound } from '../errors.js';
import { FederationClient, PeerRequestError } from './client.js';
import { toMatrixError } from './joins.js';

const FED = '/_matrix/federation/v1';
/** Servers taken from a peer's directory answer. */
const MAX_ALIAS_SERVERS = 100;

/** Answers other servers' queries: our aliases and our users' profiles. */
export class QueryServer {
  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly rooms: Pick<RoomService, 'lookupAlias'>,
  ) {}

  async answer(queryType: string, query: Record<string, unknown>): Promise<JsonObject | string> {
    if (queryType === 'directory') return this.directory(query.room_alias);
    if (queryType === 'profile') return this.profile(query.user_id, query.field);
    throw new UnknownQueryType(queryType);
  }

  private async directory(alias: unknown): Promise<JsonObject> {
    if (!isValidRoomAlias(alias)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Missing or invalid room_alias');
    if (serverOf(alias) !== this.serverName) throw new MatrixError(400, 'M_INVALID_PARAM', 'Room alias is not hosted on this server');
    const found = await this.rooms.lookupAlias(alias);
    if (!found) throw notFound(`Room alias ${alias} not found`);
    return { room_id: found.room_id, servers: found.servers };
  }

  private profile(userId: unknown, field: unknown): JsonObject {
    if (!isValidUserId(userId)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Missing or invalid user_id');
    if (serverOf(userId) !== this.serverName) throw new MatrixError(400, 'M_INVALID_PARAM', 'User is not hosted on this server');
    if (field !== undefined && field !== 'displayname' && field !== 'avatar_url') {
      throw new MatrixError(400, 'M_INVALID_PARAM', 'field must be displayname or avatar_url');
    }
    if (!this.storage.users.getUser(userId)) throw notFound('User not found');
    const p = this.storage.users.getProfile(userId);
    const all: JsonObject = { displayname: p?.displayname ?? null, avatar_url: p?.avatar_url ?? null };
    return field ? { [field as string]: all[field as string] } : all;
  }

}

/** Asks other servers about their aliases and users' profiles. */
export class RemoteQueries {
  constructor(private readonly client: FederationClient) {}

  /** RemoteRooms.queryRemoteAlias. */
  async remoteAlias(alias: string): Promise<{ room_id: string; servers: string[] } | null> {
    const server = serverOf(alias);
    try {
      const res = await this.client.requestOk(server, 'GET', `${FED}/query/directory?room_alias=${encodeURIComponent(alias)}`);
      const b = res.json;
      if (!isJsonObject(b) || !isValidRoomId(b.room_id)) throw new Error(`${server} answered a directory query without a valid room_id`);
      // The peer's list decides where we send join requests: well-formed names only, and few of them.
      const servers = Array.isArray(b.servers)
        ? b.servers.filter((s): s is string => typeof s === 'string' && s.length <= 255 && isValidServerName(s)).slice(0, MAX_ALIAS_SERVERS)
        : [];
      if (!servers.includes(server)) servers.push(server);
      return { room_id: b.room_id, servers };
    } catch (err) {
      if (err instanceof PeerRequestError && err.status === 404) return null;
      throw toMatrixError(err);
    }
  }

  /** A remote user's profile (displayname, avatar_url), or null when the server does not know them. */
  async remoteProfile(userId: string, field?: 'displayname' | 'avatar_url'): Promise<JsonObject | null> {
    const q = `user_id=${encodeURIComponent(userId)}` + (field ? `&field=${field}` : '');
    try {
      const res = await this.client.requestOk(serverOf(userId), 'GET', `${FED}/query/profile?${q}`);
      return isJsonObject(res.json) ? res.json : null;
    } catch (err) {
      if (err instanceof PeerRequestError && err.status === 404) return null;
      throw toMatrixError(err);
    }
  }
}

export class UnknownQueryType extends Error {}
