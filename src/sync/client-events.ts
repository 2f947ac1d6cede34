import type { Storage } from '../storage/index.js';
import type { EventLoader } from '../rooms/event-loader.js';
import type { EventRow } from '../storage/events.js';
import { pruneEvent, stateKey, toClientEvent, type JsonObject, type Pdu } from '../events/index.js';

/** Stored events as v1 clients see them: redactions applied, prev_content for state changes. */
export class ClientEvents {
  constructor(private readonly storage: Storage, private readonly loader: EventLoader, private readonly clock: () => number) {}

  format(row: EventRow, depth = 0): JsonObject {
    const { loader } = this;
    let pdu: Pdu = loader.fromRow(row);
    let redactedBecause: JsonObject | undefined;
    if (row.redacted_by) {
      pdu = pruneEvent(pdu) as Pdu;
      const redaction = depth === 0 ? this.storage.events.getEvent(row.redacted_by) : undefined;
      if (redaction) redactedBecause = this.format(redaction, depth + 1);
    }
    const prev = this.previousState(row, pdu);
    return toClientEvent(pdu, {
      now: this.clock(),
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

  /** The state event this one replaced, from the state before it. */
  private previousState(row: EventRow, pdu: Pdu): Pdu | undefined {
    if (pdu.state_key === undefined || row.state_group_before === null) return undefined;
    const prevId = this.storage.state.getGroup(row.state_group_before).get(stateKey(pdu.type, pdu.state_key));
    if (!prevId || prevId === row.event_id) return undefined;
    const prevRow = this.storage.events.getEvent(prevId);
    if (!prevRow) return undefined;
    return prevRow.redacted_by ? (pruneEvent(this.loader.fromRow(prevRow)) as Pdu) : this.loader.fromRow(prevRow);
  }
}
