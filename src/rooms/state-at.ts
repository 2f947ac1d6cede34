import type { Storage } from '../storage/index.js';
import type { EventRow } from '../storage/events.js';
import type { StateIds } from '../storage/state.js';
import { resolveState, stateKey, type Pdu, type StateMap } from '../events/index.js';
import type { EventLoader } from './event-loader.js';

/** The room state at a point of the event graph, from stored state groups. */
export class StateAt {
  constructor(private readonly storage: Storage, private readonly loader: EventLoader) {}

  /** The state after all of `rows` (resolved when they disagree), as a state group. */
  afterAll(roomId: string, rows: EventRow[]): { ids: StateIds; group: number | null } {
    const withState = rows.filter((r) => r.state_group !== null);
    if (withState.length === 0) return { ids: this.storage.state.currentState(roomId), group: null };
    if (withState.length === 1) {
      return { ids: this.storage.state.getGroup(withState[0].state_group!), group: withState[0].state_group };
    }
    const groups = [...new Set(withState.map((r) => r.state_group!))];
    if (groups.length === 1) return { ids: this.storage.state.getGroup(groups[0]), group: groups[0] };
    const resolved = resolveState(groups.map((g) => this.loader.stateEvents(this.storage.state.getGroup(g))));
    const ids: StateIds = new Map([...resolved].map(([k, e]) => [k, e.event_id]));
    return { ids, group: this.storage.state.createGroup(roomId, ids, groups[0]) };
  }

  /** State before a remote event from its prev_events, or null when we lack some of them. */
  fromPrevEvents(pdu: Pdu): { ids: StateIds; group: number | null } | null {
    const rows: EventRow[] = [];
    for (const [id] of pdu.prev_events) {
      const row = this.storage.events.getEvent(id);
      if (!row || row.state_group === null) return null;
      rows.push(row);
    }
    if (rows.length === 0) return pdu.type === 'm.room.create' ? { ids: new Map(), group: null } : null;
    return this.afterAll(pdu.room_id, rows);
  }

  /**
   * An outlier is judged by its own auth_events only: those of its room that we hold and did not
   * reject (a rejected create must not authorise the join that cites it).
   */
  fromAuthEvents(pdu: Pdu): StateMap<Pdu> {
    const out: StateMap<Pdu> = new Map();
    for (const [id] of pdu.auth_events) {
      const row = this.storage.events.getEvent(id);
      if (!row || row.room_id !== pdu.room_id || row.rejected_reason) continue;
      const ev = this.loader.fromRow(row);
      if (ev.state_key !== undefined) out.set(stateKey(ev.type, ev.state_key), ev);
    }
    return out;
  }
}
