import type { Storage } from '../storage/index.js';
import type { EventRow } from '../storage/events.js';
import type { Pdu, StateMap } from '../events/types.js';
import { computeReferenceHash } from '../events/hashing.js';
import type { StateIds } from '../storage/state.js';
import { LazyStateEvents } from './lazy-state-events.js';

const CACHE_SIZE = 5000;
const REFERENCE_HASHES = 10_000;

/** Parsed PDUs by event id, with a small LRU: auth checks read the same few state events constantly. */
export class EventLoader {
  private readonly cache = new Map<string, Pdu>();
  private readonly referenceHashes = new Map<string, string>();

  constructor(private readonly storage: Storage) {}

  pdu(eventId: string): Pdu | undefined {
    const hit = this.cache.get(eventId);
    if (hit) {
      this.cache.delete(eventId);
      this.cache.set(eventId, hit);
      return hit;
    }
    const row = this.storage.events.getEvent(eventId);
    return row ? this.fromRow(row) : undefined;
  }

  fromRow(row: EventRow): Pdu {
    const hit = this.cache.get(row.event_id);
    if (hit) return hit;
    const pdu = JSON.parse(row.json) as Pdu;
    if (row.reference_hash) this.rememberReferenceHash(row.event_id, row.reference_hash);
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(row.event_id, pdu);
    return pdu;
  }

  /**
   * Turns a map of state event ids into the events themselves (missing ones are skipped),
   * each loaded when first read: a check reads a few events of a state that may hold thousands.
   */
  stateEvents(ids: StateIds): StateMap<Pdu> {
    return new LazyStateEvents(ids, (id) => this.pdu(id));
  }

  /**
   * Reference hashes are computed once, when the event is persisted, and stored with it (events.
   * reference_hash); a row stored before that column existed gets its hash on first use.
   */
  referenceHash(pdu: Pdu): string {
    let h = this.referenceHashes.get(pdu.event_id);
    if (h) return h;
    const stored = this.storage.events.referenceHash(pdu.event_id);
    h = stored ?? computeReferenceHash(pdu);
    if (stored === null) this.storage.events.setReferenceHash(pdu.event_id, h);
    this.rememberReferenceHash(pdu.event_id, h);
    return h;
  }

  rememberReferenceHash(eventId: string, hash: string): void {
    if (this.referenceHashes.size >= REFERENCE_HASHES) this.referenceHashes.delete(this.referenceHashes.keys().next().value as string);
    this.referenceHashes.set(eventId, hash);
  }

  forget(eventId: string): void {
    this.cache.delete(eventId);
  }
}
