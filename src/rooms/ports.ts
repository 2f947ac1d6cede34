// What rooms/ needs from the subsystems above it (federation, application services). The
// composition root passes an implementation of each; a disabled feature gets the no-op below,
// never a missing collaborator, and policies are required so nothing fails open.
import type { Requester } from '../accounts/auth.js';
import type { Pdu } from '../events/index.js';
import { MatrixError } from '../errors.js';

/** Rooms on other servers: federation implements it (federation/), `noRemoteRooms` when it is off. */
export interface RemoteRooms {
  /** Join a room this server is not in, through one of `servers`. Returns when joined. */
  joinRemoteRoom(roomId: string, userId: string, servers: string[]): Promise<void>;
  /** Invite a user on another server (the invitee's server countersigns). Returns the event id. */
  inviteRemoteUser(roomId: string, sender: string, target: string): Promise<string>;
  /** Resolve an alias on another server (null: it has none). */
  queryRemoteAlias(alias: string): Promise<{ room_id: string; servers: string[] } | null>;
  /** Fetch older events of a room from other servers; resolves to how many were added. */
  backfill(roomId: string, limit: number): Promise<number>;
  /** Waits (bounded) until our event has reached the other servers of its room. */
  awaitDelivery(pdu: Pdu): Promise<void>;
}

function federationDisabled(): never {
  throw new MatrixError(403, 'M_FORBIDDEN', 'Federation is disabled on this server');
}

/** Federation switched off: nothing remote can be reached, nothing is waited for. */
export const noRemoteRooms: RemoteRooms = {
  joinRemoteRoom: async () => federationDisabled(),
  inviteRemoteUser: async () => federationDisabled(),
  queryRemoteAlias: async () => null,
  backfill: async () => 0,
  awaitDelivery: async () => {},
};

/** Application services as rooms see them: alias exclusivity (a policy), lazy alias and user queries. */
export interface AppserviceRooms {
  /** Throws M_EXCLUSIVE when the alias belongs to an application service the requester is not. */
  checkAliasExclusive(alias: string, requester: Requester): void;
  /** Ask the services about an unknown local alias; true when one created it. */
  queryAlias(alias: string): Promise<boolean>;
  /** Lets a service create an unknown local user in its namespace before it is targeted. */
  ensureUser(userId: string): Promise<void>;
}

/** No application service registered: no namespace is exclusive, nobody is asked. */
export const noAppserviceRooms: AppserviceRooms = {
  checkAliasExclusive: () => {},
  queryAlias: async () => false,
  ensureUser: async () => {},
};
