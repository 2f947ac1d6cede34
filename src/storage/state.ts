import type { Db } from './db.js';
import { stateKey, splitStateKey } from '../events/types.js';
import { serverOf } from '../events/ids.js';

/** Map of stateKey(type, state_key) -> event_id. */
export type StateIds = Map<string, string>;

const SNAPSHOT_EVERY = 32;
const CACHE_SIZE = 2000;
/** Also bounded by the entries the cached groups hold: each group of a big room holds all its members. */
const CACHE_ENTRIES = 500_000;
const MEMBERS_CACHE_ROOMS = 256;

/**
 * State groups: the state after an event is a group; each group stores only its delta over
 * prev_group, with a full snapshot every SNAPSHOT_EVERY links so reads stay cheap.
 */
export class StateStore {
  private readonly insertGroup;
  private readonly insertGroupState;
  private readonly selectGroup;
  private readonly selectGroupState;
  private readonly selectCurrent;
  private readonly selectCurrentOne;
  private readonly upsertCurrent;
  private readonly deleteCurrent;
  private readonly selectRoomsForUser;
  private readonly selectMembers;
  private readonly selectAllMemberships;
  private readonly selectMembership;
  private readonly cache = new Map<number, StateIds>();
  private cachedEntries = 0;
  /**
   * membersWith() of recently used rooms (every send reads the joined members to fan out).
   * Dropped on any write to the room's current state; filled only outside a transaction, so a
   * rolled-back write can never leave uncommitted members in it.
   */
  private readonly members = new Map<string, Map<string, readonly string[]>>();

  constructor(private readonly db: Db) {
    this.insertGroup = db.prepare('INSERT INTO state_groups (room_id, prev_group, chain_length) VALUES (?, ?, ?)');
    this.insertGroupState = db.prepare(
      'INSERT INTO state_groups_state (state_group, type, state_key, event_id) VALUES (?, ?, ?, ?)',
    );
    this.selectGroup = db.prepare('SELECT prev_group, chain_length FROM state_groups WHERE id = ?');
    this.selectGroupState = db.prepare('SELECT type, state_key, event_id FROM state_groups_state WHERE state_group = ?');
    this.selectCurrent = db.prepare('SELECT type, state_key, event_id FROM current_state_events WHERE room_id = ?');
    this.selectCurrentOne = db.prepare(
      'SELECT event_id FROM current_state_events WHERE room_id = ? AND type = ? AND state_key = ?',
    );
    this.upsertCurrent = db.prepare(`INSERT INTO current_state_events (room_id, type, state_key, event_id, membership)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT(room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id,
      membership = excluded.membership`);
    this.deleteCurrent = db.prepare('DELETE FROM current_state_events WHERE room_id = ? AND type = ? AND state_key = ?');
    this.selectRoomsForUser = db.prepare(
      `SELECT room_id, membership FROM current_state_events WHERE state_key = ? AND type = 'm.room.member'`,
    );
    this.selectMembers = db.prepare(
      `SELECT state_key FROM current_state_events WHERE room_id = ? AND type = 'm.room.member' AND membership = ?`,
    );
    this.selectMembership = db.prepare(
      `SELECT membership FROM current_state_events WHERE room_id = ? AND type = 'm.room.member' AND state_key = ?`,
    );
    this.selectAllMemberships = db.prepare(
      `SELECT state_key, membership FROM current_state_events WHERE room_id = ? AND type = 'm.room.member'`,
    );
  }

  /** Stores `state` as a new group, as a delta over prevGroup when that is cheaper. */
  createGroup(roomId: string, state: StateIds, prevGroup: number | null): number {
    let delta: StateIds = state;
    let chain = 0;
    if (prevGroup !== null) {
      const meta = this.selectGroup.get(prevGroup) as { chain_length: number } | undefined;
      const prev = this.getGroup(prevGroup);
      const removed = [...prev.keys()].some((k) => !state.has(k));
      if (meta && meta.chain_length + 1 < SNAPSHOT_EVERY && !removed) {
        delta = new Map([...state].filter(([k, v]) => prev.get(k) !== v));
        chain = meta.chain_length + 1;
      }
    }
    const id = Number(this.insertGroup.run(roomId, chain === 0 ? null : prevGroup, chain).lastInsertRowid);
    for (const [k, eventId] of delta) {
      const [type, sk] = splitStateKey(k);
      this.insertGroupState.run(id, type, sk, eventId);
    }
    this.remember(id, new Map(state));
    return id;
  }

  getGroup(id: number): StateIds {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const meta = this.selectGroup.get(id) as { prev_group: number | null } | undefined;
    if (!meta) throw new Error(`unknown state group ${id}`);
    const state = meta.prev_group !== null ? new Map(this.getGroup(meta.prev_group)) : new Map<string, string>();
    for (const r of this.selectGroupState.all(id) as { type: string; state_key: string; event_id: string }[]) {
      state.set(stateKey(r.type, r.state_key), r.event_id);
    }
    this.remember(id, state);
    return state;
  }

  private remember(id: number, state: StateIds): void {
    const old = this.cache.get(id);
    if (old) {
      this.cache.delete(id);
      this.cachedEntries -= old.size;
    }
    this.cache.set(id, state);
    this.cachedEntries += state.size;
    while (this.cache.size > 1 && (this.cache.size > CACHE_SIZE || this.cachedEntries > CACHE_ENTRIES)) {
      const [oldest, ids] = this.cache.entries().next().value as [number, StateIds];
      this.cache.delete(oldest);
      this.cachedEntries -= ids.size;
    }
  }

  currentState(roomId: string): StateIds {
    const out: StateIds = new Map();
    for (const r of this.selectCurrent.all(roomId) as { type: string; state_key: string; event_id: string }[]) {
      out.set(stateKey(r.type, r.state_key), r.event_id);
    }
    return out;
  }

  currentStateEventId(roomId: string, type: string, sk: string): string | undefined {
    return (this.selectCurrentOne.get(roomId, type, sk) as { event_id: string } | undefined)?.event_id;
  }

  /** Rewrites the room's current state to `next`, touching only the rows that changed. */
  setCurrentState(roomId: string, next: StateIds, membershipOf: (eventId: string) => string | null): void {
    this.members.delete(roomId);
    const prev = this.currentState(roomId);
    for (const k of prev.keys()) {
      if (!next.has(k)) {
        const [type, sk] = splitStateKey(k);
        this.deleteCurrent.run(roomId, type, sk);
      }
    }
    for (const [k, eventId] of next) {
      if (prev.get(k) === eventId) continue;
      const [type, sk] = splitStateKey(k);
      this.upsertCurrent.run(roomId, type, sk, eventId, type === 'm.room.member' ? membershipOf(eventId) : null);
    }
  }

  /** Sets one entry of the room's current state. */
  setCurrentStateEntry(roomId: string, type: string, sk: string, eventId: string, membership: string | null): void {
    if (type === 'm.room.member') this.members.delete(roomId);
    this.upsertCurrent.run(roomId, type, sk, eventId, type === 'm.room.member' ? membership : null);
  }

  /** Rooms where the user's current membership is one of `memberships`. */
  roomsForUser(userId: string, memberships: string[]): { room_id: string; membership: string }[] {
    const rows = this.selectRoomsForUser.all(userId) as { room_id: string; membership: string }[];
    return rows.filter((r) => memberships.includes(r.membership));
  }

  /** Servers of the room's joined members, each once (cached with the members). */
  joinedServers(roomId: string): readonly string[] {
    const key = '\0servers';
    const hit = this.members.get(roomId)?.get(key);
    if (hit) return hit;
    const joined = this.membersWith(roomId, 'join');
    const servers = [...new Set(joined.map(serverOf))];
    // Derived from the cached (committed) members only: then cached with them, even inside a transaction.
    const room = this.members.get(roomId);
    if (room && room.get('join') === joined) room.set(key, servers);
    return servers;
  }

  membersWith(roomId: string, membership: string): readonly string[] {
    const room = this.members.get(roomId);
    const hit = room?.get(membership);
    if (hit) return hit;
    const out = (this.selectMembers.all(roomId, membership) as { state_key: string }[]).map((r) => r.state_key);
    if (!this.db.inTransaction) {
      if (room) {
        this.members.delete(roomId);
        this.members.set(roomId, room.set(membership, out));
      } else {
        if (this.members.size >= MEMBERS_CACHE_ROOMS) this.members.delete(this.members.keys().next().value as string);
        this.members.set(roomId, new Map([[membership, out]]));
      }
    }
    return out;
  }

  memberships(roomId: string): Map<string, string> {
    const rows = this.selectAllMemberships.all(roomId) as { state_key: string; membership: string }[];
    return new Map(rows.map((r) => [r.state_key, r.membership]));
  }

  membershipOf(roomId: string, userId: string): string | null {
    const row = this.selectMembership.get(roomId, userId) as { membership: string } | undefined;
    return row?.membership ?? null;
  }
}
