// What accounts/ needs from the subsystems above it (rooms, sync, federation, application
// services). The composition root passes each; a disabled feature gets a no-op implementation.
import type { JsonObject } from '../events/index.js';

/** Re-announces a changed profile in a room (a new join event): rooms/ implements it. */
export interface ProfileAnnouncer {
  announceProfile(userId: string, roomId: string): Promise<void>;
}

/** Told after a user's profile changed (sync/'s presence re-announces it). */
export interface ProfileListener {
  profileChanged(userId: string): void;
}

/** Wakes a user's waiting long-polls (sync/'s Notifier implements it). */
export interface UserWaker {
  notifyUsers(userIds: Iterable<string>): void;
}

/** A remote user's profile over federation, or null. */
export interface RemoteProfiles {
  query(userId: string, field?: 'displayname' | 'avatar_url'): Promise<JsonObject | null>;
}

export const noRemoteProfiles: RemoteProfiles = { query: async () => null };

/** Application-service namespaces as accounts see them: exclusivity is a policy, never skipped. */
export interface UserNamespaces {
  /** Throws M_EXCLUSIVE when the user id lies in a service's exclusive namespace. */
  checkUserNotExclusive(userId: string): void;
  /** May create an unknown user in a service's namespace; true if it now exists. */
  queryUser(userId: string): Promise<boolean>;
}

export const noUserNamespaces: UserNamespaces = { checkUserNotExclusive: () => {}, queryUser: async () => false };
