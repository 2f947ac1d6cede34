// History visibility (client-api-v1.md §2.10): what a user may see of a room's past.
import type { Homeserver } from '../homeserver.js';
import type { EventRow } from '../storage/events.js';
import { stateKey, type JsonObject } from '../events/index.js';

export class HistoryVisibility {
  constructor(private readonly hs: Homeserver) {}

  /** Filters events by the user's membership and the room's history_visibility at each event. */
  filter(userId: string, rows: EventRow[]): EventRow[] {
    return rows.filter((row) => this.visible(userId, row));
  }

  visible(userId: string, row: EventRow): boolean {
    if (row.type === 'm.room.history_visibility') return true;
    if (row.state_group_before === null) return true; // backfilled history without state: shared by default
    const state = this.hs.storage.state.getGroup(row.state_group_before);
    const membership = this.contentOf(state.get(stateKey('m.room.member', userId)))?.membership;
    // A user's own join and the events they send are always theirs to see.
    if (membership === 'join' || row.sender === userId || (row.type === 'm.room.member' && row.state_key === userId)) return true;
    const visibility = this.contentOf(state.get(stateKey('m.room.history_visibility', '')))?.history_visibility ?? 'shared';
    if (visibility === 'joined') return false;
    if (visibility === 'invited') return membership === 'invite';
    return true; // shared, public, world_readable, or unknown
  }

  private contentOf(eventId: string | undefined): JsonObject | undefined {
    return eventId ? (this.hs.persister.loader.pdu(eventId)?.content as JsonObject | undefined) : undefined;
  }
}
