import type { Db } from './db.js';
import { serverOf } from '../events/ids.js';

const MEMBERS_CACHE_ROOMS = 256;
/** Bounds the memberships held by the members cache, summed over its rooms. */
const MEMBERS_CACHE_ENTRIES = 200_000;
/** Unverified membership writes kept before giving up on the rooms they touched. */
const MAX_PENDING = 256;

/** The current memberships of one room, kept up to date by the writes that change them. */
export interface RoomMembers {
  /** user id -> membership, for every m.room.member of the current state. */
  byUser: Map<string, string>;
  /** How many users hold each membership. */
  counts: Map<string, number>;
  /** Joined users per server. */
  servers: Map<string, number>;
  /** membersWith() answers, derived on demand and dropped when that membership changes. */
  lists: Map<string, readonly string[]>;
  serverList: readonly string[] | null;
}

/**
 * Memberships of recently used rooms (every send fans out to the joined members). Loaded only
 * outside a transaction (so what is loaded is committed), then updated in place by each
 * membership write. A write inside a transaction is remembered in `pending` until it is
 * checked against SQLite: a rolled-back one drops its room instead of leaving a wrong member.
 */
export class MembersCache {
  private readonly members = new Map<string, RoomMembers>();
  private memberEntries = 0;
  private readonly pending: { roomId: string; userId: string }[] = [];
  private readonly selectAllMemberships;
  private readonly selectMembership;

  constructor(private readonly db: Db) {
    this.selectMembership = db.prepare(
      `SELECT membership FROM current_state_events WHERE room_id = ? AND type = 'm.room.member' AND state_key = ?`,
    );
    this.selectAllMemberships = db.prepare(
      `SELECT state_key, membership FROM current_state_events WHERE room_id = ? AND type = 'm.room.member'`,
    );
  }

  /** The room's cached memberships, loading them when outside a transaction; null when not cached. */
  load(roomId: string): RoomMembers | null {
    const hit = this.cached(roomId);
    if (hit) {
      this.members.delete(roomId);
      this.members.set(roomId, hit);
      return hit;
    }
    if (this.db.inTransaction) return null;
    const room: RoomMembers = { byUser: new Map(), counts: new Map(), servers: new Map(), lists: new Map(), serverList: null };
    for (const r of this.selectAllMemberships.all(roomId) as { state_key: string; membership: string }[]) this.setMember(room, r.state_key, r.membership);
    this.members.set(roomId, room);
    this.memberEntries += room.byUser.size;
    while (this.members.size > 1 && (this.members.size > MEMBERS_CACHE_ROOMS || this.memberEntries > MEMBERS_CACHE_ENTRIES)) {
      this.drop(this.members.keys().next().value as string);
    }
    return room;
  }

  /** The room's memberships if cached (never loads). */
  cached(roomId: string): RoomMembers | undefined {
    this.settle();
    return this.members.get(roomId);
  }

  /** A membership write just stored in current_state_events (null: the entry is gone). */
  write(roomId: string, userId: string, membership: string | null): void {
    const room = this.cached(roomId);
    if (!room) return;
    this.setMember(room, userId, membership);
    if (this.db.inTransaction) {
      if (this.pending.length >= MAX_PENDING) this.dropPending();
      else this.pending.push({ roomId, userId });
    }
  }

  /** Forgets the room (its memberships are about to be rewritten). */
  drop(roomId: string): void {
    this.settle();
    this.dropRoomMembers(roomId);
  }

  dropAll(): void {
    this.settle();
    for (const roomId of [...this.members.keys()]) this.dropRoomMembers(roomId);
  }

  /** Memberships held (all rooms), for figures. */
  entries(): number {
    return this.memberEntries;
  }

  private setMember(room: RoomMembers, userId: string, membership: string | null): void {
    const old = room.byUser.get(userId);
    if (old === (membership ?? undefined)) return;
    if (old !== undefined) {
      room.counts.set(old, room.counts.get(old)! - 1);
      room.lists.delete(old);
      if (old === 'join') this.countServer(room, serverOf(userId), -1);
    }
    if (membership === null) {
      room.byUser.delete(userId);
      this.memberEntries--;
    } else {
      if (old === undefined) this.memberEntries++;
      room.byUser.set(userId, membership);
      room.counts.set(membership, (room.counts.get(membership) ?? 0) + 1);
      room.lists.delete(membership);
      if (membership === 'join') this.countServer(room, serverOf(userId), 1);
    }
  }

  private countServer(room: RoomMembers, server: string, by: 1 | -1): void {
    const n = (room.servers.get(server) ?? 0) + by;
    if (n > 0) room.servers.set(server, n);
    else room.servers.delete(server);
    if ((n === 0 && by === -1) || (n === 1 && by === 1)) room.serverList = null;
  }

  /**
   * Checks the membership writes made inside transactions against SQLite once no transaction
   * is open: a write that was rolled back drops its room from the cache. Inside a transaction
   * they are checked too (a rolled-back earlier one shows as a difference), but kept, since the
   * current transaction may still roll back.
   */
  private settle(): void {
    if (this.pending.length === 0) return;
    const stale = new Set<string>();
    for (const { roomId, userId } of this.pending) {
      const room = this.members.get(roomId);
      if (!room || stale.has(roomId)) continue;
      const row = this.selectMembership.get(roomId, userId) as { membership: string } | undefined;
      if ((room.byUser.get(userId) ?? null) !== (row?.membership ?? null)) stale.add(roomId);
    }
    if (!this.db.inTransaction) this.pending.length = 0;
    for (const roomId of stale) this.dropRoomMembers(roomId);
  }

  private dropPending(): void {
    const rooms = new Set(this.pending.map((p) => p.roomId));
    this.pending.length = 0;
    for (const roomId of rooms) this.dropRoomMembers(roomId);
  }

  private dropMembers(roomId: string): void {
    this.settle();
    this.dropRoomMembers(roomId);
  }

  private dropRoomMembers(roomId: string): void {
    const room = this.members.get(roomId);
    if (!room) return;
    this.members.delete(roomId);
    this.memberEntries -= room.byUser.size;
  }
}
