import type { Storage } from '../storage/index.js';
import type { EventLoader } from '../rooms/event-loader.js';
import type { EventRow } from '../storage/events.js';
import { pruneEvent, stateKey, toClientEvent, type JsonObject, type Pdu } from '../events/index.js';

/** Rows already read for this request, by event id (see formatMany). */
type Rows = ReadonlyMap<string, EventRow>;

/** Stored events as v1 clients see them: redactions applied, prev_content for state changes. */
export class ClientEvents {
  constructor(private readonly storage: Storage, private readonly loader: EventLoader, private readonly clock: () => number) {}

  format(row: EventRow, depth = 0, rows?: Rows, now = this.clock()): JsonObject {
    const { loader } = this;
    let pdu: Pdu = loader.fromRow(row);
    let redactedBecause: JsonObject | undefined;
    if (row.redacted_by) {
      pdu = pruneEvent(pdu) as Pdu;
      const redaction = depth === 0 ? this.row(row.redacted_by, rows) : undefined;
      if (redaction) redactedBecause = this.format(redaction, depth + 1, rows, now);
    }
    const prev = this.previousState(row, pdu, rows);
    return toClientEvent(pdu, {
      now,
      ageTs: row.age_ts,
      redactedBecause,
      prevContent: prev?.content as JsonObject | undefined,
      prevSender: prev?.sender,
      replacesState: prev?.event_id,
    });
  }

  formatId(eventId: string): JsonObject | undefined {
    const row = this.storage.events.getEvent(eventId);
    return row ? this.format(row) : undefined;
  }

  /**
   * Formats many events with batched reads: the state events they replaced and their
   * redactions are read in a few queries, not one per event. `rows` may hold rows already read.
   */
  formatMany(list: readonly EventRow[], rows: Map<string, EventRow> = new Map()): JsonObject[] {
    this.prefetch(list, rows);
    const now = this.clock();
    return list.map((row) => this.format(row, 0, rows, now));
  }

  /** Formats the events with these ids (unknown ones are skipped), reading them in batches. */
  formatIds(ids: Iterable<string>, rows: Map<string, EventRow> = new Map()): JsonObject[] {
    const list = [...ids];
    this.storage.eventReads.getEvents(list, rows);
    const found: EventRow[] = [];
    for (const id of list) {
      const row = rows.get(id);
      if (row) found.push(row);
    }
    return this.formatMany(found, rows);
  }

  /** Reads into `rows` what formatting these events needs: their redactions and the state they replaced. */
  prefetch(list: Iterable<EventRow>, rows: Map<string, EventRow>): void {
    const more: string[] = [];
    for (const row of list) {
      if (row.redacted_by && !rows.has(row.redacted_by)) more.push(row.redacted_by);
      const prevId = this.previousStateId(row, this.loader.fromRow(row));
      if (prevId && !rows.has(prevId)) more.push(prevId);
    }
    if (more.length > 0) this.storage.eventReads.getEvents(more, rows);
  }

  private row(eventId: string, rows: Rows | undefined): EventRow | undefined {
    return rows?.get(eventId) ?? this.storage.events.getEvent(eventId);
  }

  private previousStateId(row: EventRow, pdu: Pdu): string | undefined {
    if (pdu.state_key === undefined || row.state_group_before === null) return undefined;
    const prevId = this.storage.state.getGroup(row.state_group_before).get(stateKey(pdu.type, pdu.state_key));
    return prevId && prevId !== row.event_id ? prevId : undefined;
  }

  /** The state event this one replaced, from the state before it. */
  private previousState(row: EventRow, pdu: Pdu, rows: Rows | undefined): Pdu | undefined {
    const prevId = this.previousStateId(row, pdu);
    if (!prevId) return undefined;
    const prevRow = this.row(prevId, rows);
    if (!prevRow) return undefined;
    return prevRow.redacted_by ? (pruneEvent(this.loader.fromRow(prevRow)) as Pdu) : this.loader.fromRow(prevRow);
  }
}
