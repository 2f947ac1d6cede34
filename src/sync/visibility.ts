// History visibility (client-api-v1.md §2.10): what a user may see of a room's past.
import type { Storage } from '../storage/index.js';
import type { EventLoader } from '../rooms/event-loader.js';
import type { EventRow } from '../storage/events.js';
import { stateKey, type JsonObject } from '../events/index.js';

export class HistoryVisibility {
  constructor(private readonly storage: Storage, private readonly loader: EventLoader) {}

  /**
   * Filters events by the user's membership and the room's history_visibility at each event;
   * a user peeking into a room they are not in (guests, world_readable rooms) sees only
   * what was world_readable.
   */
  filter(userId: string, rows: EventRow[], peeking = false): EventRow[] {
    if (peeking) return rows.filter((row) => this.visibleToPeeker(row));
    // One look-up of the forgotten position per room, not per event.
    const forgotten = new Map<string, number | null>();
    const upTo = (roomId: string) => {
      if (!forgotten.has(roomId)) forgotten.set(roomId, this.storage.forgotten.upTo(userId, roomId));
      return forgotten.get(roomId)!;
    };
    return rows.filter((row) => this.visible(userId, row, upTo(row.room_id)));
  }

  /** Synapse 0.12's is_peeking: only world_readable history, including the event that made it so. */
  visibleToPeeker(row: EventRow): boolean {
    if (row.type === 'm.room.history_visibility' && row.state_key === '') {
      if (this.loader.pdu(row.event_id)?.content?.history_visibility === 'world_readable') return true;
    }
    if (row.state_group_before === null) return false;
    const state = this.storage.state.getGroup(row.state_group_before);
    return this.contentOf(state.get(stateKey('m.room.history_visibility', '')))?.history_visibility === 'world_readable';
  }

  /** The room's current history_visibility is world_readable: anyone may read it. */
  worldReadable(roomId: string): boolean {
    const id = this.storage.state.currentStateEventId(roomId, 'm.room.history_visibility', '');
    return this.contentOf(id)?.history_visibility === 'world_readable';
  }

  visible(userId: string, row: EventRow, forgottenUpTo = this.storage.forgotten.upTo(userId, row.room_id)): boolean {
    if (row.type === 'm.room.history_visibility') return true;
    if (row.state_group_before === null) return true; // backfilled history without state: shared by default
    const state = this.storage.state.getGroup(row.state_group_before);
    const memberId = state.get(stateKey('m.room.member', userId));
    // A membership the user has since forgotten (POST /forget) no longer opens history (Synapse 0.12).
    const forgotten = forgottenUpTo !== null && memberId !== undefined && (this.storage.events.getEvent(memberId)?.stream_ordering ?? Infinity) <= forgottenUpTo;
    const membership = forgotten ? undefined : this.contentOf(memberId)?.membership;
    // A user's own join and the events they send are always theirs to see.
    if (membership === 'join' || row.sender === userId || (row.type === 'm.room.member' && row.state_key === userId)) return true;
    const visibility = this.contentOf(state.get(stateKey('m.room.history_visibility', '')))?.history_visibility ?? 'shared';
    if (visibility === 'joined') return false;
    if (visibility === 'invited') return membership === 'invite';
    return true; // shared, public, world_readable, or unknown
  }

  private contentOf(eventId: string | undefined): JsonObject | undefined {
    return eventId ? (this.loader.pdu(eventId)?.content as JsonObject | undefined) : undefined;
  }
}
