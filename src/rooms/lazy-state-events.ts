// A room state's events, parsed only when asked for. The auth rules of a new event read a
// handful of them (create, join rules, power levels, the sender's and the target's membership):
// parsing all 10,000 member events of a big room to check one message cost time on every cache
// miss and kept megabytes of parsed events per cached room.
import type { Pdu } from '../events/index.js';
import type { StateIds } from '../storage/state.js';

/** StateMap<Pdu> over a StateIds, loading events by id (missing ones are absent, as before). */
export class LazyStateEvents implements Map<string, Pdu> {
  readonly [Symbol.toStringTag] = 'Map';
  /** Entries set or deleted since `ids` (null: deleted). */
  private readonly own = new Map<string, Pdu | null>();

  constructor(private ids: StateIds, private readonly load: (eventId: string) => Pdu | undefined) {}

  get(key: string): Pdu | undefined {
    const o = this.own.get(key);
    if (o !== undefined) return o ?? undefined;
    const id = this.ids.get(key);
    return id === undefined ? undefined : this.load(id);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Loads every event: only for the rare callers that need it. */
  get size(): number {
    let n = 0;
    for (const _ of this.entries()) n++;
    return n;
  }

  *entries(): MapIterator<[string, Pdu]> {
    for (const [k, id] of this.ids) {
      const o = this.own.get(k);
      const ev = o !== undefined ? o : this.load(id);
      if (ev) yield [k, ev];
    }
    for (const [k, ev] of this.own) if (ev && !this.ids.has(k)) yield [k, ev];
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<Pdu> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, Pdu]> {
    return this.entries();
  }

  forEach(fn: (value: Pdu, key: string, map: Map<string, Pdu>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  set(key: string, value: Pdu): this {
    this.own.set(key, value);
    return this;
  }

  delete(key: string): boolean {
    const had = this.has(key);
    this.own.set(key, null);
    return had;
  }

  clear(): void {
    this.ids = new Map();
    this.own.clear();
  }

  /**
   * The same events over `ids`, a state that already holds this map's own changes (the state
   * after the event just stored): they are dropped, so the map keeps no parsed event for long.
   */
  rebase(ids: StateIds): void {
    for (const [k, ev] of this.own) {
      if (ev ? ids.get(k) === ev.event_id : !ids.has(k)) this.own.delete(k);
    }
    this.ids = ids;
  }

  /** Parsed events held of its own (for memory figures). */
  heldEvents(): number {
    return this.own.size;
  }
}
