// Filters (v2_alpha, Synapse 0.12): what a client wants from /sync. Pure: parse, validate, match.
import { MatrixError } from '../errors.js';
import type { JsonObject } from '../events/index.js';

const MAX_FILTER_BYTES = 65_536;
const MAX_LIST = 1000;
const MAX_ITEM = 255;
/** Synapse's default timeline limit. */
export const DEFAULT_TIMELINE_LIMIT = 10;
const MAX_TIMELINE_LIMIT = 1000;

export interface EventFilter {
  limit: number | null;
  types: string[] | null;
  notTypes: string[];
  senders: string[] | null;
  notSenders: string[];
  rooms: string[] | null;
  notRooms: string[];
}

export interface SyncFilter {
  presence: EventFilter;
  accountData: EventFilter;
  rooms: string[] | null;
  notRooms: string[];
  includeLeave: boolean;
  timeline: EventFilter;
  state: EventFilter;
  ephemeral: EventFilter;
  roomAccountData: EventFilter;
}

function bad(msg: string): MatrixError {
  return new MatrixError(400, 'M_BAD_JSON', msg);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, name: string): string[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length > MAX_LIST || !v.every((s) => typeof s === 'string' && s.length <= MAX_ITEM)) {
    throw bad(`'${name}' must be a list of at most ${MAX_LIST} strings`);
  }
  return v as string[];
}

/** rooms/not_rooms hold room ids, senders/not_senders user ids (Synapse rejected anything else). */
function idList(v: unknown, name: string, sigil: '!' | '@'): string[] | null {
  const list = stringList(v, name);
  if (list && !list.every((id) => id.startsWith(sigil) && id.indexOf(':') > 1)) throw bad(`'${name}' must list ${sigil === '!' ? 'room' : 'user'} ids`);
  return list;
}

function eventFilter(v: unknown, name: string): EventFilter {
  if (v !== undefined && !isObject(v)) throw bad(`'${name}' must be an object`);
  const o = (v ?? {}) as Record<string, unknown>;
  let limit: number | null = null;
  if (o.limit !== undefined) {
    if (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 0) throw bad(`'${name}.limit' must be a non-negative integer`);
    limit = Math.min(o.limit, MAX_TIMELINE_LIMIT);
  }
  return {
    limit,
    types: stringList(o.types, `${name}.types`),
    notTypes: stringList(o.not_types, `${name}.not_types`) ?? [],
    senders: idList(o.senders, `${name}.senders`, '@'),
    notSenders: idList(o.not_senders, `${name}.not_senders`, '@') ?? [],
    rooms: idList(o.rooms, `${name}.rooms`, '!'),
    notRooms: idList(o.not_rooms, `${name}.not_rooms`, '!') ?? [],
  };
}

/** Checks a filter definition as a client sent it and returns its parsed form. */
export function parseFilter(v: unknown): SyncFilter {
  if (!isObject(v)) throw bad('Filter must be a JSON object');
  if (JSON.stringify(v).length > MAX_FILTER_BYTES) throw new MatrixError(413, 'M_TOO_LARGE', 'Filter too large');
  if (v.event_format !== undefined && v.event_format !== 'client' && v.event_format !== 'federation') {
    throw bad("'event_format' must be 'client' or 'federation'");
  }
  if (v.event_fields !== undefined) stringList(v.event_fields, 'event_fields');
  const room = v.room;
  if (room !== undefined && !isObject(room)) throw bad("'room' must be an object");
  const r = (room ?? {}) as Record<string, unknown>;
  if (r.include_leave !== undefined && typeof r.include_leave !== 'boolean') throw bad("'room.include_leave' must be a boolean");
  return {
    presence: eventFilter(v.presence, 'presence'),
    accountData: eventFilter(v.account_data, 'account_data'),
    rooms: idList(r.rooms, 'room.rooms', '!'),
    notRooms: idList(r.not_rooms, 'room.not_rooms', '!') ?? [],
    includeLeave: r.include_leave === true,
    timeline: eventFilter(r.timeline, 'room.timeline'),
    state: eventFilter(r.state, 'room.state'),
    ephemeral: eventFilter(r.ephemeral, 'room.ephemeral'),
    roomAccountData: eventFilter(r.account_data, 'room.account_data'),
  };
}

/** A type pattern ending in '*' matches by prefix, as Synapse's filters did. */
function matches(patterns: string[], value: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? value.startsWith(p.slice(0, -1)) : p === value));
}

export interface Filterable {
  type: string;
  sender?: string;
  room_id?: string;
}

export function allows(f: EventFilter, ev: Filterable): boolean {
  if (matches(f.notTypes, ev.type)) return false;
  if (f.types !== null && !matches(f.types, ev.type)) return false;
  if (ev.sender !== undefined) {
    if (f.notSenders.includes(ev.sender)) return false;
    if (f.senders !== null && !f.senders.includes(ev.sender)) return false;
  }
  if (ev.room_id !== undefined) {
    if (f.notRooms.includes(ev.room_id)) return false;
    if (f.rooms !== null && !f.rooms.includes(ev.room_id)) return false;
  }
  return true;
}

export function allowsRoom(f: SyncFilter, roomId: string): boolean {
  if (f.notRooms.includes(roomId)) return false;
  return f.rooms === null || f.rooms.includes(roomId);
}

export function timelineLimit(f: SyncFilter): number {
  return f.timeline.limit ?? DEFAULT_TIMELINE_LIMIT;
}

/** The stored form of a filter: what the client sent, for GET to hand back. */
export function filterJson(v: JsonObject): string {
  return JSON.stringify(v);
}
