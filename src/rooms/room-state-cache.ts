import type { Pdu, StateMap } from '../events/index.js';
import type { StateIds } from '../storage/state.js';
import { LazyStateEvents } from './lazy-state-events.js';

/** The room's current state after exactly one forward extremity, as the write path last left it. */
export interface RoomStateEntry {
  /** The room's single forward extremity this state is after. */
  extremity: { event_id: string; depth: number; referenceHash: string };
  /** State group of the state after the extremity (its state_group row). */
  group: number | null;
  /** Shared with the state-group cache: never mutated. */
  ids: StateIds;
  /**
   * The same state as events: owned by this cache, updated in place by the write path only.
   * Usually a LazyStateEvents over `ids`, which parses an event only when it is read.
   */
  events: StateMap<Pdu>;
}

export const ROOM_STATE_CACHE_ROOMS = 256;

/**
 * Per-room current state for the local send path, so a send does not reload and parse every
 * state event of the room. Bounded LRU over rooms; nothing is persisted (rebuilt lazily from
 * SQLite). Only the write path (persist.ts) moves forward extremities, and it drops a room's
 * entry on every write the cache does not follow (federation, a rolled-back transaction), so an
 * entry present is the room's current state: a send needs no query to check it.
 * An entry holds the room's state ids (shared with the state-group cache) and parsed events only
 * while the write path has just set them, so a 10,000-member room costs a few kilobytes here.
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
    // The events the write path set are in `ids` now: the lazy map need not hold them.
    if (entry.events instanceof LazyStateEvents) entry.events.rebase(entry.ids);
    this.rooms.delete(roomId);
    if (this.rooms.size >= this.maxRooms) this.rooms.delete(this.rooms.keys().next().value as string);
    this.rooms.set(roomId, entry);
  }

  delete(roomId: string): void {
    this.rooms.delete(roomId);
  }

  /** Parsed events a room's entry holds of its own (the rest are loaded when read), for figures. */
  heldEvents(roomId: string): number {
    const events = this.rooms.get(roomId)?.events;
    return events instanceof LazyStateEvents ? events.heldEvents() : events?.size ?? 0;
  }

  get size(): number {
    return this.rooms.size;
  }
}
