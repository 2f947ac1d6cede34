// Account data and room tags (v2_alpha, Synapse 0.12): per-user JSON blobs, global or per room,
// delivered through /sync, /events and initialSync. Tags are the room's "m.tag" account data.
import type { Storage } from '../storage/index.js';
import type { AccountDataRow } from '../storage/account-data.js';
import type { UserWaker } from './ports.js';
import type { JsonObject } from '../events/index.js';
import { MatrixError, badJson, forbidden } from '../errors.js';
import { parseFilter, type SyncFilter } from './filters.js';

const MAX_CONTENT_BYTES = 65_536;
const MAX_TYPE = 255;
const MAX_TAGS_PER_ROOM = 100;
export const TAG_TYPE = 'm.tag';

export interface AccountDataEvent {
  type: string;
  content: JsonObject;
  room_id?: string;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkName(v: string, what: string): void {
  if (v.length === 0 || v.length > MAX_TYPE) throw new MatrixError(400, 'M_INVALID_PARAM', `${what} must be 1 to ${MAX_TYPE} characters`);
}

function checkRoomId(roomId: string): void {
  if (!roomId.startsWith('!') || !roomId.includes(':') || roomId.length > MAX_TYPE) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid room id');
}

function contentJson(content: unknown): string {
  if (!isObject(content)) throw badJson('Content must be a JSON object');
  const json = JSON.stringify(content);
  if (Buffer.byteLength(json) > MAX_CONTENT_BYTES) throw new MatrixError(413, 'M_TOO_LARGE', 'Account data too large');
  return json;
}

export class AccountDataService {
  constructor(private readonly storage: Storage, private readonly notifier: UserWaker) {}

  private own(requester: string, userId: string): void {
    if (requester !== userId) throw forbidden('Cannot access account data for other users');
  }

  /** PUT /user/{userId}/account_data/{type} */
  putGlobal(requester: string, userId: string, type: string, content: unknown): void {
    this.own(requester, userId);
    checkName(type, 'Type');
    this.storage.accountData.put(userId, '', type, contentJson(content));
    this.notifier.notifyUsers([userId]);
  }

  /** PUT /user/{userId}/rooms/{roomId}/account_data/{type} */
  putRoom(requester: string, userId: string, roomId: string, type: string, content: unknown): void {
    this.own(requester, userId);
    checkRoomId(roomId);
    checkName(type, 'Type');
    if (type === TAG_TYPE) throw new MatrixError(400, 'M_INVALID_PARAM', 'Room tags are set through the tags API');
    this.storage.accountData.put(userId, roomId, type, contentJson(content));
    this.notifier.notifyUsers([userId]);
  }

  /** GET /user/{userId}/rooms/{roomId}/tags */
  tags(requester: string, userId: string, roomId: string): JsonObject {
    this.own(requester, userId);
    return this.tagMap(userId, roomId);
  }

  /** PUT /user/{userId}/rooms/{roomId}/tags/{tag} */
  addTag(requester: string, userId: string, roomId: string, tag: string, content: unknown): void {
    this.own(requester, userId);
    checkRoomId(roomId);
    checkName(tag, 'Tag');
    const tags = this.tagMap(userId, roomId);
    const parsed = JSON.parse(contentJson(content)) as JsonObject;
    if (!(tag in tags) && Object.keys(tags).length >= MAX_TAGS_PER_ROOM) throw new MatrixError(400, 'M_LIMIT_EXCEEDED', 'Too many tags on this room');
    tags[tag] = parsed;
    this.storeTags(userId, roomId, tags);
  }

  /** DELETE /user/{userId}/rooms/{roomId}/tags/{tag} */
  removeTag(requester: string, userId: string, roomId: string, tag: string): void {
    this.own(requester, userId);
    checkRoomId(roomId);
    const tags = this.tagMap(userId, roomId);
    if (!(tag in tags)) return;
    delete tags[tag];
    this.storeTags(userId, roomId, tags);
  }

  private storeTags(userId: string, roomId: string, tags: JsonObject): void {
    this.storage.accountData.put(userId, roomId, TAG_TYPE, contentJson({ tags }));
    this.notifier.notifyUsers([userId]);
  }

  private tagMap(userId: string, roomId: string): JsonObject {
    const row = this.storage.accountData.get(userId, roomId, TAG_TYPE);
    const tags: JsonObject = Object.create(null);
    const stored = row ? (JSON.parse(row.content_json) as JsonObject).tags : undefined;
    if (isObject(stored)) for (const [k, v] of Object.entries(stored)) tags[k] = v;
    return tags;
  }

  /** Global account data as events ({type, content}). */
  globalEvents(userId: string): AccountDataEvent[] {
    return this.storage.accountData.all(userId).filter((r) => r.room_id === '').map(toEvent);
  }

  /** A room's account data (tags included) as events ({type, content}), without room_id. */
  roomEvents(userId: string, roomId: string): AccountDataEvent[] {
    return this.storage.accountData.all(userId).filter((r) => r.room_id === roomId).map(toEvent);
  }

  /** Every room's account data, by room. */
  allRoomEvents(userId: string): Map<string, AccountDataEvent[]> {
    return byRoom(this.storage.accountData.all(userId).filter((r) => r.room_id !== ''));
  }

  /** Changes between two stream positions: global ones and, by room, per-room ones. */
  changes(userId: string, fromExclusive: number, toInclusive: number): { global: AccountDataEvent[]; rooms: Map<string, AccountDataEvent[]> } {
    if (fromExclusive >= toInclusive) return { global: [], rooms: new Map() };
    const rows = this.storage.accountData.changedBetween(userId, fromExclusive, toInclusive);
    return { global: rows.filter((r) => r.room_id === '').map(toEvent), rooms: byRoom(rows.filter((r) => r.room_id !== '')) };
  }

  /** POST /user/{userId}/filter: stores a sync filter of one's own, answers its id. */
  createFilter(requester: string, userId: string, body: unknown): { filter_id: string } {
    if (requester !== userId) throw forbidden('Can only create filters for your own user');
    parseFilter(body);
    return { filter_id: String(this.storage.accountData.addFilter(userId, JSON.stringify(body))) };
  }

  /** GET /user/{userId}/filter/{filterId} */
  getFilter(requester: string, userId: string, filterId: string): JsonObject {
    if (requester !== userId) throw forbidden('Cannot get filters for other users');
    const json = /^\d{1,15}$/.test(filterId) ? this.storage.accountData.getFilter(userId, Number(filterId)) : undefined;
    if (json === undefined) throw new MatrixError(404, 'M_NOT_FOUND', 'No such filter');
    return JSON.parse(json) as JsonObject;
  }

  /** /sync?filter=: a stored filter's id or, if it starts with "{", a filter definition inline. */
  syncFilter(userId: string, param: string | undefined): SyncFilter {
    if (param === undefined || param === '') return parseFilter({});
    if (param.startsWith('{')) {
      let v: unknown;
      try {
        v = JSON.parse(param);
      } catch {
        throw new MatrixError(400, 'M_NOT_JSON', 'Filter is not JSON');
      }
      return parseFilter(v);
    }
    const json = /^\d{1,15}$/.test(param) ? this.storage.accountData.getFilter(userId, Number(param)) : undefined;
    if (json === undefined) throw new MatrixError(400, 'M_UNKNOWN', 'No such filter');
    return parseFilter(JSON.parse(json));
  }
}

function toEvent(r: AccountDataRow): AccountDataEvent {
  return { type: r.type, content: JSON.parse(r.content_json) as JsonObject };
}

function byRoom(rows: AccountDataRow[]): Map<string, AccountDataEvent[]> {
  const out = new Map<string, AccountDataEvent[]>();
  for (const r of rows) {
    const list = out.get(r.room_id) ?? [];
    list.push(toEvent(r));
    out.set(r.room_id, list);
  }
  return out;
}
