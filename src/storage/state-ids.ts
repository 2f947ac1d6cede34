// Room state as a map of stateKey(type, state_key) -> event_id, shared between the states after
// consecutive events. A 10,000-member room's state has 10,000 entries and each join changes one:
// copying the map per event made a join cost grow with the room, and caching a copy per state
// group made its memory grow the same way. A LayeredStateIds keeps a large frozen base shared by
// many states plus a small map of its own changes, and is flattened into a new base once those
// changes outgrow ~sqrt(2n) (so each change costs O(sqrt n) at worst and O(1) amortised).

/** Map of stateKey(type, state_key) -> event_id. Never mutated once it is a state group's. */
export type StateIds = Map<string, string>;

/** Flatten when the own changes exceed this: balances copying them against copying the base. */
function flattenAt(baseSize: number): number {
  return Math.max(16, Math.ceil(Math.sqrt(2 * baseSize)));
}

/** A read-only state map: a frozen base plus this state's own changes (no deletions). */
export class LayeredStateIds implements Map<string, string> {
  readonly [Symbol.toStringTag] = 'Map';
  readonly size: number;

  constructor(
    private readonly base: ReadonlyMap<string, string>,
    private readonly own: ReadonlyMap<string, string>,
    size: number,
    /** The state this one was made from by withStateEntry, and the one key it changed. */
    readonly parent: StateIds,
    readonly changedKey: string,
  ) {
    this.size = size;
  }

  get(key: string): string | undefined {
    return this.own.get(key) ?? this.base.get(key);
  }

  has(key: string): boolean {
    return this.own.has(key) || this.base.has(key);
  }

  *entries(): MapIterator<[string, string]> {
    for (const [k, v] of this.base) yield [k, this.own.get(k) ?? v];
    for (const [k, v] of this.own) if (!this.base.has(k)) yield [k, v];
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  forEach(fn: (value: string, key: string, map: Map<string, string>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  set(): this {
    throw new TypeError('room state maps are read-only: use withStateEntry');
  }

  delete(): boolean {
    throw new TypeError('room state maps are read-only');
  }

  clear(): void {
    throw new TypeError('room state maps are read-only');
  }

  /** For withStateEntry: the shared base and this state's own changes. */
  layers(): { base: ReadonlyMap<string, string>; own: ReadonlyMap<string, string> } {
    return { base: this.base, own: this.own };
  }
}

const NONE: ReadonlyMap<string, string> = new Map();

/**
 * `ids` with `key` set to `eventId`, as a new map; `ids` is left as it is. Cheap whatever the
 * size of the state: the result shares `ids`'s entries instead of copying them.
 */
export function withStateEntry(ids: StateIds, key: string, eventId: string): StateIds {
  const { base, own } = ids instanceof LayeredStateIds ? ids.layers() : { base: ids as ReadonlyMap<string, string>, own: NONE };
  const size = ids.size + (ids.has(key) ? 0 : 1);
  if (own.size + 1 > flattenAt(base.size)) {
    const flat = new Map(base);
    for (const [k, v] of own) flat.set(k, v);
    return new LayeredStateIds(flat.set(key, eventId), NONE, size, ids, key);
  }
  return new LayeredStateIds(base, new Map(own).set(key, eventId), size, ids, key);
}

/** What a state map holds of its own (for memory accounting): all of a plain map, the changes of a layered one. */
export function ownEntries(ids: StateIds): number {
  return ids instanceof LayeredStateIds ? ids.layers().own.size : ids.size;
}

/** The base a layered map shares with others, or null for a plain map. */
export function sharedBase(ids: StateIds): ReadonlyMap<string, string> | null {
  return ids instanceof LayeredStateIds ? ids.layers().base : null;
}
