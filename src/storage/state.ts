import type { Db } from './db.js';
import { stateKey, splitStateKey } from '../events/types.js';
import { serverOf } from '../events/ids.js';
import { LayeredStateIds, ownEntries, sharedBase, type StateIds } from './state-ids.js';
import { MembersCache } from './members-cache.js';

export type { StateIds } from './state-ids.js';
export { withStateEntry } from './state-ids.js';

/** A full snapshot at least every SNAPSHOT_EVERY links, or every size/SNAPSHOT_SHARE for big states. */
const SNAPSHOT_EVERY = 32;
const SNAPSHOT_SHARE = 16;
const MAX_CHAIN = 1024;
const CACHE_SIZE = 2000;
/** Also bounded by the entries the cached groups hold (a base shared by several groups counts once). */
const CACHE_ENTRIES = 500_000;
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
  private readonly selectAllMemberships;
  private readonly selectJoinedRooms;
  private readonly selectMembership;
  private readonly cache = new Map<number, StateIds>();
  private cachedEntries = 0;
  /** Bases shared by cached layered groups, with how many cached groups use each. */
  private readonly cachedBases = new Map<ReadonlyMap<string, string>, number>();
  /** Memberships of recently used rooms (see members-cache.ts). */
  private readonly members: MembersCache;
  constructor(db: Db) {
    this.members = new MembersCache(db);
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
    this.selectJoinedRooms = db.prepare(
      `SELECT room_id FROM current_state_events WHERE state_key = ? AND type = 'm.room.member' AND membership = 'join'`,
    );
    this.selectMembership = db.prepare(
      `SELECT membership FROM current_state_events WHERE room_id = ? AND type = 'm.room.member' AND state_key = ?`,
    );
    this.selectAllMemberships = db.prepare(
      `SELECT state_key, membership FROM current_state_events WHERE room_id = ? AND type = 'm.room.member'`,
    );
  }

  /**
   * Stores `state` as a new group, as a delta over prevGroup when that is cheaper. `state` is
   * kept as the group's cached state: the caller must not change it afterwards. When it was
   * made by withStateEntry from prevGroup's own state, the delta is that one entry, found
   * without comparing the two states.
   */
  createGroup(roomId: string, state: StateIds, prevGroup: number | null): number {
    let delta: Iterable<[string, string]> = state;
    let chain = 0;
    if (prevGroup !== null) {
      const meta = this.selectGroup.get(prevGroup) as { chain_length: number } | undefined;
      const maxChain = Math.min(MAX_CHAIN, Math.max(SNAPSHOT_EVERY, Math.floor(state.size / SNAPSHOT_SHARE)));
      if (meta && meta.chain_length + 1 < maxChain) {
        const prevCached = this.cache.get(prevGroup);
        if (state instanceof LayeredStateIds && prevCached !== undefined && state.parent === prevCached) {
          delta = [[state.changedKey, state.get(state.changedKey)!]];
          chain = meta.chain_length + 1;
        } else {
          const prev = this.getGroup(prevGroup);
          let removed = false;
          for (const k of prev.keys()) {
            if (!state.has(k)) {
              removed = true;
              break;
            }
          }
          if (!removed) {
            const changed: [string, string][] = [];
            for (const [k, v] of state) if (prev.get(k) !== v) changed.push([k, v]);
            delta = changed;
            chain = meta.chain_length + 1;
          }
        }
      }
    }
    const id = Number(this.insertGroup.run(roomId, chain === 0 ? null : prevGroup, chain).lastInsertRowid);
    for (const [k, eventId] of delta) {
      const [type, sk] = splitStateKey(k);
      this.insertGroupState.run(id, type, sk, eventId);
    }
    this.remember(id, state instanceof LayeredStateIds ? state : new Map(state));
    return id;
  }

  /** The state of a group (cached; never to be changed by the caller). */
  getGroup(id: number): StateIds {
    const hit = this.cache.get(id);
    if (hit) return hit;
    // Walk back to a cached group or a snapshot, then apply the deltas from there forwards.
    const deltas: number[] = [];
    let base: StateIds | undefined;
    for (let cur: number | null = id; cur !== null; ) {
      const cached = this.cache.get(cur);
      if (cached) {
        base = cached;
        break;
      }
      const meta = this.selectGroup.get(cur) as { prev_group: number | null } | undefined;
      if (!meta) throw new Error(`unknown state group ${cur}`);
      deltas.push(cur);
      cur = meta.prev_group;
    }
    const state = new Map<string, string>(base ?? []);
    for (let i = deltas.length - 1; i >= 0; i--) {
      for (const r of this.selectGroupState.all(deltas[i]) as { type: string; state_key: string; event_id: string }[]) {
        state.set(stateKey(r.type, r.state_key), r.event_id);
      }
    }
    this.remember(id, state);
    return state;
  }

  /** Entries held by the state-group cache (a base shared by several groups counted once). */
  cachedStateEntries(): number {
    return this.cachedEntries;
  }

  private remember(id: number, state: StateIds): void {
    const old = this.cache.get(id);
    if (old) {
      this.cache.delete(id);
      this.forgetCached(old);
    }
    this.cache.set(id, state);
    this.cachedEntries += ownEntries(state);
    const base = sharedBase(state);
    if (base) {
      const n = this.cachedBases.get(base) ?? 0;
      if (n === 0) this.cachedEntries += base.size;
      this.cachedBases.set(base, n + 1);
    }
    while (this.cache.size > 1 && (this.cache.size > CACHE_SIZE || this.cachedEntries > CACHE_ENTRIES)) {
      const [oldest, ids] = this.cache.entries().next().value as [number, StateIds];
      this.cache.delete(oldest);
      this.forgetCached(ids);
    }
  }

  private forgetCached(ids: StateIds): void {
    this.cachedEntries -= ownEntries(ids);
    const base = sharedBase(ids);
    if (!base) return;
    const n = this.cachedBases.get(base)! - 1;
    if (n > 0) {
      this.cachedBases.set(base, n);
    } else {
      this.cachedBases.delete(base);
      this.cachedEntries -= base.size;
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
    this.members.drop(roomId);
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
    this.upsertCurrent.run(roomId, type, sk, eventId, type === 'm.room.member' ? membership : null);
    if (type !== 'm.room.member') return;
    this.members.write(roomId, sk, membership);
  }

  /** Rooms where the user's current membership is one of `memberships`. */
  roomsForUser(userId: string, memberships: string[]): { room_id: string; membership: string }[] {
    const rows = this.selectRoomsForUser.all(userId) as { room_id: string; membership: string }[];
    return rows.filter((r) => memberships.includes(r.membership));
  }

  /** Rooms the user is joined to. */
  joinedRoomIds(userId: string): string[] {
    return (this.selectJoinedRooms.all(userId) as { room_id: string }[]).map((r) => r.room_id);
  }

  /** Servers of the room's joined members, each once. */
  joinedServers(roomId: string): readonly string[] {
    const room = this.members.load(roomId);
    if (!room) return [...new Set(this.membersWith(roomId, 'join').map(serverOf))];
    room.serverList ??= [...room.servers.keys()];
    return room.serverList;
  }

  /** Users with this membership. Prefer isJoined/memberCount/joinedServers on hot paths: this is a list. */
  membersWith(roomId: string, membership: string): readonly string[] {
    const room = this.members.load(roomId);
    if (!room) return (this.selectAllMemberships.all(roomId) as { state_key: string; membership: string }[]).filter((r) => r.membership === membership).map((r) => r.state_key);
    let list = room.lists.get(membership);
    if (!list) {
      const out: string[] = [];
      for (const [u, m] of room.byUser) if (m === membership) out.push(u);
      room.lists.set(membership, (list = out));
    }
    return list;
  }

  /** How many users hold this membership. */
  memberCount(roomId: string, membership: string): number {
    const room = this.members.load(roomId);
    return room ? room.counts.get(membership) ?? 0 : this.membersWith(roomId, membership).length;
  }

  memberships(roomId: string): Map<string, string> {
    const room = this.members.load(roomId);
    if (room) return new Map(room.byUser);
    const rows = this.selectAllMemberships.all(roomId) as { state_key: string; membership: string }[];
    return new Map(rows.map((r) => [r.state_key, r.membership]));
  }

  membershipOf(roomId: string, userId: string): string | null {
    const room = this.members.cached(roomId);
    if (room) return room.byUser.get(userId) ?? null;
    const row = this.selectMembership.get(roomId, userId) as { membership: string } | undefined;
    return row?.membership ?? null;
  }

  /** Empties the state-group and members caches (they refill from SQLite): for figures of what they hold. */
  dropCaches(): void {
    this.members.dropAll();
    for (const [id, ids] of [...this.cache]) {
      this.cache.delete(id);
      this.forgetCached(ids);
    }
  }

  /** Memberships held by the members cache (all rooms), for figures. */
  cachedMemberEntries(): number {
    return this.members.entries();
  }
}
