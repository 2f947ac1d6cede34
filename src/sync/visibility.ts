// History visibility (client-api-v1.md §2.10): what a user may see of a room's past.
import type { Storage } from '../storage/index.js';
import type { EventLoader } from '../rooms/event-loader.js';
import type { EventRow } from '../storage/events.js';
import { isEventVisible, lazyStateView, type JsonObject, type StateView, type VisibilityFacts } from '../events/index.js';

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
    return isEventVisible(this.facts(row), this.stateBefore(row), { peeking: true });
  }

  /** The room's current history_visibility is world_readable: anyone may read it. */
  worldReadable(roomId: string): boolean {
    const id = this.storage.state.currentStateEventId(roomId, 'm.room.history_visibility', '');
    return this.contentOf(id)?.history_visibility === 'world_readable';
  }

  visible(userId: string, row: EventRow, forgottenUpTo = this.storage.forgotten.upTo(userId, row.room_id)): boolean {
    // A membership the user has since forgotten (POST /forget) no longer opens history (Synapse 0.12).
    const forgot = forgottenUpTo === null
      ? undefined
      : (memberId: string) => (this.storage.events.getEvent(memberId)?.stream_ordering ?? Infinity) <= forgottenUpTo;
    return isEventVisible(this.facts(row), this.stateBefore(row), { user: userId, forgot });
  }

  /** The room state before the event, read lazily (the rules look at a few keys). */
  private stateBefore(row: EventRow): StateView | null {
    if (row.state_group_before === null) return null;
    return lazyStateView(this.storage.state.getGroup(row.state_group_before), (id) => this.loader.pdu(id));
  }

  private facts(row: EventRow): VisibilityFacts {
    // Only a history_visibility event's own content is read (a peeker sees the one that made the room world_readable).
    const content = row.type === 'm.room.history_visibility' ? this.loader.pdu(row.event_id)?.content : undefined;
    return { type: row.type, sender: row.sender, state_key: row.state_key, content };
  }

  private contentOf(eventId: string | undefined): JsonObject | undefined {
    return eventId ? (this.loader.pdu(eventId)?.content as JsonObject | undefined) : undefined;
  }
}
