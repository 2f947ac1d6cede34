// Read-only walks over our copy of a room's event graph, used to answer other servers:
// auth chains, state before an event, backfill and missing-event walks, and PDU rendering.
import type { Storage } from '../storage/index.js';
import type { EventRow } from '../storage/events.js';
import type { StateIds } from '../storage/state.js';
import { setTopLevelMember } from '../crypto/index.js';
import { redactedJson, serverOf } from '../events/index.js';

const byDepth = (a: EventRow, b: EventRow) => a.depth - b.depth || (a.stream_ordering ?? 0) - (b.stream_ordering ?? 0);

export class EventGraph {
  constructor(private readonly storage: Storage) {}

  /** The stored PDU as sent to other servers: raw JSON with `unsigned.age`, pruned if redacted. */
  renderPdu(row: EventRow, now: number): string {
    let json = row.json;
    if (row.redacted_by) {
      json = redactedJson(JSON.parse(row.json));
    }
    return setTopLevelMember(json, 'unsigned', `{"age":${Math.max(0, now - row.age_ts)}}`);
  }

  renderList(rows: EventRow[], now: number): string {
    return '[' + rows.map((r) => this.renderPdu(r, now)).join(',') + ']';
  }

  event(eventId: string): EventRow | undefined {
    return this.storage.events.getEvent(eventId);
  }

  /** True if some user of `server` is joined to the room in its current state. */
  hostInRoom(roomId: string, server: string): boolean {
    return this.storage.state.joinedServers(roomId).includes(server);
  }

  /** Transitive auth_events of the given events (not including them), oldest first. */
  authChain(eventIds: Iterable<string>): EventRow[] {
    const seen = new Set<string>();
    const out: EventRow[] = [];
    const todo: string[] = [];
    for (const id of eventIds) todo.push(...this.storage.events.authEventIds(id));
    while (todo.length) {
      const id = todo.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const row = this.storage.events.getEvent(id);
      if (!row) continue;
      out.push(row);
      todo.push(...this.storage.events.authEventIds(id));
    }
    return out.sort(byDepth);
  }

  /** The room state the event was built on, or null when we do not know it. */
  stateBefore(row: EventRow): StateIds | null {
    if (row.state_group_before !== null) return this.storage.state.getGroup(row.state_group_before);
    return row.type === 'm.room.create' && !row.rejected_reason ? new Map() : null;
  }

  rows(ids: Iterable<string>): EventRow[] {
    const out: EventRow[] = [];
    for (const id of ids) {
      const r = this.storage.events.getEvent(id);
      if (r) out.push(r);
    }
    return out;
  }

  /**
   * Breadth-first walk back along prev_events from `from` (included), deepest first, up to
   * `limit` events of the room (federation-v1.md §3.3).
   */
  backfillWalk(roomId: string, from: string[], limit: number): EventRow[] {
    const seen = new Set<string>();
    const frontier: EventRow[] = [];
    const push = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      const r = this.storage.events.getEvent(id);
      if (r && r.room_id === roomId && !r.rejected_reason) frontier.push(r);
    };
    from.forEach(push);
    const out: EventRow[] = [];
    while (frontier.length && out.length < limit) {
      frontier.sort((a, b) => b.depth - a.depth);
      const r = frontier.shift()!;
      out.push(r);
      for (const p of this.storage.events.prevEventIds(r.event_id)) push(p);
    }
    return out;
  }

  /** prev_events walk from `latest` (excluded) stopping at `earliest` (federation-v1.md §3.4). */
  missingEvents(roomId: string, earliest: string[], latest: string[], limit: number, minDepth: number): EventRow[] {
    const seen = new Set<string>([...earliest, ...latest]);
    const todo = latest.flatMap((id) => this.storage.events.prevEventIds(id));
    const out: EventRow[] = [];
    while (todo.length && out.length < limit) {
      const id = todo.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const r = this.storage.events.getEvent(id);
      if (!r || r.room_id !== roomId || r.rejected_reason || r.depth < minDepth) continue;
      out.push(r);
      todo.push(...this.storage.events.prevEventIds(id));
    }
    return out.sort(byDepth);
  }
}
