import type { Pdu, StateMap } from '../events/index.js';
import type { StateIds } from '../storage/state.js';

/** The room's current state after exactly one forward extremity, as the write path last left it. */
export interface RoomStateEntry {
  /** The room's single forward extremity this state is after. */
  extremity: { event_id: string; depth: number; referenceHash: string };
  /** State group of the state after the extremity (its state_group row). */
  group: number | null;
  /** Shared with the state-group cache: never mutated. */
  ids: StateIds;
  /** The same state, parsed: owned by this cache, updated in place by the write path only. */
  events: StateMap<Pdu>;
}

export const ROOM_STATE_CACHE_ROOMS = 256;

/**
 * Per-room current state for the local send path, so a send does not reload and parse every
 * state event of the room. Bounded LRU over rooms; nothing is persisted (rebuilt lazily from
 * SQLite). Only the write path (persist.ts) moves forward extremities, and it drops a room's
 * entry on every write the cache does not follow (federation, a rolled-back transaction), so an
 * entry present is the room's current state: a send needs no query to check it.
 */
export class RoomStateCache {
  private readonly rooms = new Map<string, RoomStateEntry>();

  constructor(private readonly maxRooms = ROOM_STATE_CACHE_ROOMS) {}

  get(roomId: string): RoomStateEntry | undefined {
    const hit = this.rooms.get(roomId);
    if (!hit) return undefined;
    this.rooms.delete(roomId);
    this.rooms.set(roomId, hit);
    return hit;
  }

  set(roomId: string, entry: RoomStateEntry): void {
    this.rooms.delete(roomId);
    if (this.rooms.size >= this.maxRooms) this.rooms.delete(this.rooms.keys().next().value as string);
    this.rooms.set(roomId, entry);
  }

  delete(roomId: string): void {
    this.rooms.delete(roomId);
  }

  get size(): number {
    return this.rooms.size;
  }
}
