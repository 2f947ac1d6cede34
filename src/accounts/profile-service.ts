import type { Storage } from '../storage/index.js';
import type { ProfileAnnouncer, ProfileListener, RemoteProfiles, UserNamespaces } from './ports.js';
import type { Requester } from './auth.js';
import { isValidUserId, serverOf, type JsonObject } from '../events/index.js';
import { MatrixError, forbidden, invalidParam, notFound } from '../errors.js';
import { MAX_AVATAR_URL_LENGTH, MAX_DISPLAYNAME_LENGTH, checkLength, isWithin } from './text-limits.js';

const MAX_LENGTH: Record<ProfileField, number> = { displayname: MAX_DISPLAYNAME_LENGTH, avatar_url: MAX_AVATAR_URL_LENGTH };

/** A field of a remote server's profile answer: a bounded string, else null. */
function remoteField(remote: JsonObject, field: ProfileField): string | null {
  const v = Object.hasOwn(remote, field) ? remote[field] : null;
  return typeof v === 'string' && isWithin(v, MAX_LENGTH[field]) ? v : null;
}

export type ProfileField = 'displayname' | 'avatar_url';

/** Display names and avatars; a change is re-announced in every room the user is in. */
export class ProfileService {
  constructor(
    private readonly storage: Storage,
    /** Re-announces a changed profile in a room (rooms/). */
    private readonly rooms: ProfileAnnouncer,
    private readonly serverName: string,
    /** A remote user's profile over federation (noRemoteProfiles when it is off). */
    private readonly remote: RemoteProfiles,
    /** May create an unknown user in an application service's namespace. */
    private readonly namespaces: UserNamespaces,
    /** Told after a profile change (sync/ re-announces the user's presence, as Synapse 0.12 did). */
    private readonly changed: ProfileListener,
  ) {}

  async get(userId: string, field?: ProfileField): Promise<JsonObject> {
    if (!isValidUserId(userId)) throw invalidParam('Invalid user id');
    if (serverOf(userId) !== this.serverName) {
      const remote = await this.remote.query(userId, field);
      if (!remote) throw notFound('Profile not found');
      return field ? { [field]: remoteField(remote, field) } : { displayname: remoteField(remote, 'displayname'), avatar_url: remoteField(remote, 'avatar_url') };
    }
    if (!this.storage.users.getUser(userId) && !(await this.namespaces.queryUser(userId))) {
      throw notFound('User not found');
    }
    const p = this.storage.users.getProfile(userId);
    const all = { displayname: p?.displayname ?? null, avatar_url: p?.avatar_url ?? null };
    return field ? { [field]: all[field] } : all;
  }

  /** PUT /profile/{userId}/{field}: yourself only; then a new join event in each of your rooms. */
  async set(requester: Requester, userId: string, field: ProfileField, value: unknown): Promise<void> {
    if (requester.userId !== userId) throw forbidden("Cannot set another user's profile");
    if (serverOf(userId) !== this.serverName) throw new MatrixError(400, 'M_UNKNOWN', 'Can only set profiles of local users');
    if (value !== null && typeof value !== 'string') throw new MatrixError(400, 'M_BAD_JSON', `'${field}' must be a string`);
    checkLength(field, value, MAX_LENGTH[field]);
    if (field === 'displayname') this.storage.users.setDisplayname(userId, value);
    else this.storage.users.setAvatarUrl(userId, value);
    for (const { room_id } of this.storage.state.roomsForUser(userId, ['join'])) {
      try {
        await this.rooms.announceProfile(userId, room_id);
      } catch {
        // A room where the user may no longer send (e.g. banned meanwhile) keeps the old profile.
      }
    }
    this.changed.profileChanged(userId);
  }
}
