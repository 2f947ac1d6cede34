// HTTP pushers (Synapse 0.12): POST /pushers/set registers a push gateway URL; every event the
// user's push rules say "notify" for is POSTed there as {"notification": {...}}. Each pusher
// keeps a cursor in the database, so a restart resumes where it stopped; a failing gateway is
// retried a bounded number of times per event, then that event is skipped.
import { request } from 'undici';
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { EventLoader } from '../rooms/event-loader.js';
import type { AfterCommitListener } from '../rooms/persist.js';
import type { ClientEvents } from '../sync/client-events.js';
import type { PushRuleService } from '../accounts/push-rules-service.js';
import type { PusherRow } from '../storage/pushers.js';
import type { EventRow } from '../storage/events.js';
import type { JsonObject } from '../events/index.js';
import { MatrixError } from '../errors.js';
import { evaluate, notifyTweaks } from './evaluator.js';

const MAX_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 1000;
const REQUEST_TIMEOUT_MS = 10_000;
const PAGE = 50;
const LIMITS: Record<string, number> = { app_id: 64, pushkey: 512, app_display_name: 256, device_display_name: 256, profile_tag: 256, lang: 16 };
const MAX_DATA_BYTES = 4096;
const UNREAD_CAP = 99;

interface Worker {
  running: boolean;
  again: boolean;
}

function keyOf(p: { app_id: string; pushkey: string; user_id: string }): string {
  return JSON.stringify([p.app_id, p.pushkey, p.user_id]);
}

function bad(msg: string): MatrixError {
  return new MatrixError(400, 'M_MISSING_PARAM', msg);
}

export class PusherService {
  private readonly workers = new Map<string, Worker>();
  /** user id -> keys of their pushers, so the write path can tell cheaply whom to wake. */
  private readonly byUser = new Map<string, Set<string>>();
  private readonly stop = new AbortController();
  private readonly log: Logger;

  constructor(
    private readonly storage: Storage,
    private readonly loader: EventLoader,
    private readonly clock: () => number,
    log: Logger,
    /** The client-event formatter shared with sync/. */
    private readonly events: ClientEvents,
    private readonly pushRules: PushRuleService,
  ) {
    this.log = log.child({ component: 'pushers' });
    for (const p of storage.pushers.all()) this.remember(p);
    // Catch up on what arrived while we were down.
    setImmediate(() => {
      for (const keys of this.byUser.values()) for (const k of keys) this.kick(k);
    });
  }

  /** Persister listener: wake the pushers of the room's members. */
  readonly afterCommit: AfterCommitListener = (ev) => {
    if (ev.rejected || ev.outlier || ev.backfilled) return;
    // Walk whichever is shorter: the users with pushers (usually) or the room's members.
    const roomId = ev.pdu.room_id;
    const target = ev.pdu.type === 'm.room.member' ? ev.pdu.state_key : undefined;
    const state = this.storage.state;
    const users = this.byUser.size <= state.memberCount(roomId, 'join')
      ? [...this.byUser.keys()].filter((u) => u === target || state.membershipOf(roomId, u) === 'join')
      : [...state.membersWith(roomId, 'join'), ...(target ? [target] : [])];
    for (const u of new Set(users)) for (const k of this.byUser.get(u) ?? []) this.kick(k);
  };

  close(): void {
    this.stop.abort();
  }

  /** POST /pushers/set: adds, replaces or (kind null) removes a pusher of the user. */
  set(userId: string, body: Record<string, unknown>): void {
    const { app_id: appId, pushkey } = body;
    if (typeof appId !== 'string' || appId.length > LIMITS.app_id) throw bad("Missing or invalid 'app_id'");
    if (typeof pushkey !== 'string' || pushkey.length > LIMITS.pushkey) throw bad("Missing or invalid 'pushkey'");
    if (body.kind === null) {
      this.storage.pushers.remove(appId, pushkey, userId);
      this.forget({ app_id: appId, pushkey, user_id: userId });
      return;
    }
    for (const k of ['kind', 'app_display_name', 'device_display_name', 'lang']) {
      if (typeof body[k] !== 'string' || (LIMITS[k] !== undefined && (body[k] as string).length > LIMITS[k])) throw bad(`Missing or invalid '${k}'`);
    }
    if (body.kind !== 'http') throw new MatrixError(400, 'M_UNKNOWN', 'Only http pushers are supported');
    if (body.profile_tag !== undefined && (typeof body.profile_tag !== 'string' || body.profile_tag.length > LIMITS.profile_tag)) throw bad("Invalid 'profile_tag'");
    const data = body.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad("Missing 'data'");
    const url = (data as JsonObject).url;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url) || url.length > 2048 || !URL.canParse(url)) throw bad("'data.url' must be an http(s) URL");
    const dataJson = JSON.stringify(data);
    if (Buffer.byteLength(dataJson) > MAX_DATA_BYTES) throw new MatrixError(413, 'M_TOO_LARGE', "'data' too large");
    const existing = this.storage.pushers.get(appId, pushkey, userId);
    const row = {
      user_id: userId, app_id: appId, pushkey, kind: 'http', app_display_name: body.app_display_name as string,
      device_display_name: body.device_display_name as string, profile_tag: (body.profile_tag as string | undefined) ?? '',
      lang: body.lang as string, data_json: dataJson, url, ts: this.clock(),
      // A new pusher is told about what happens from now on.
      last_stream: existing?.last_stream ?? this.storage.events.currentStreamOrdering(),
    };
    if (body.append !== true) {
      for (const p of this.storage.pushers.all()) if (p.app_id === appId && p.pushkey === pushkey && p.user_id !== userId) this.forget(p);
    }
    this.storage.pushers.set(row, body.append === true);
    this.remember(row);
  }

  private remember(p: { app_id: string; pushkey: string; user_id: string }): void {
    const set = this.byUser.get(p.user_id) ?? new Set<string>();
    set.add(keyOf(p));
    this.byUser.set(p.user_id, set);
  }

  private forget(p: { app_id: string; pushkey: string; user_id: string }): void {
    const set = this.byUser.get(p.user_id);
    set?.delete(keyOf(p));
    if (set?.size === 0) this.byUser.delete(p.user_id);
  }

  private kick(key: string): void {
    let w = this.workers.get(key);
    if (!w) this.workers.set(key, (w = { running: false, again: false }));
    if (w.running) {
      w.again = true;
      return;
    }
    void this.drain(key, w).catch((err) => this.log.error({ err }, 'pusher failed'));
  }

  /** Walks the pusher's cursor up to the present, one event at a time. */
  private async drain(key: string, w: Worker): Promise<void> {
    const [appId, pushkey, userId] = JSON.parse(key) as [string, string, string];
    w.running = true;
    try {
      do {
        w.again = false;
        for (;;) {
          if (this.stop.signal.aborted) return;
          const p = this.storage.pushers.get(appId, pushkey, userId);
          if (!p) return;
          const now = this.storage.events.currentStreamOrdering();
          if (p.last_stream >= now) break;
          const rows = this.storage.events.userStreamEvents(userId, p.last_stream, now, PAGE);
          if (rows.length === 0) {
            this.storage.pushers.advance(p, now, null);
            break;
          }
          for (const row of rows) {
            const delivered = await this.pushEvent(p, row);
            if (this.stop.signal.aborted) return;
            if (delivered === 'rejected') {
              this.storage.pushers.remove(appId, pushkey, userId);
              this.forget(p);
              return;
            }
            this.storage.pushers.advance(p, row.stream_ordering!, delivered ? null : (p.failing_since ?? this.clock()));
          }
        }
      } while (w.again);
    } finally {
      w.running = false;
      if (w.again && !this.stop.signal.aborted) this.kick(key);
    }
  }

  /** true: pushed or nothing to push; false: gave up after retries; 'rejected': the gateway refused the pushkey. */
  private async pushEvent(p: PusherRow, row: EventRow): Promise<boolean | 'rejected'> {
    if (row.sender === p.user_id) return true; // never pushed for your own events
    const ev = this.events.format(row);
    const profile = this.storage.users.getProfile(p.user_id);
    const actions = evaluate(this.pushRules.all(p.user_id).global, ev, {
      userId: p.user_id, displayname: profile?.displayname ?? null, memberCount: this.storage.state.membersWith(row.room_id, 'join').length,
    });
    const { notify, tweaks } = notifyTweaks(actions);
    if (!notify) return true;
    const body = JSON.stringify({ notification: this.notification(p, row, ev, tweaks) });
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0 && !(await this.sleep(BACKOFF_BASE_MS * 2 ** (attempt - 1)))) return false;
      const result = await this.post(p.url, body, p.pushkey);
      if (result !== 'retry') return result;
    }
    this.log.warn({ appId: p.app_id, userId: p.user_id, eventId: row.event_id }, 'push gateway unreachable; event skipped');
    return false;
  }

  private notification(p: PusherRow, row: EventRow, ev: JsonObject, tweaks: JsonObject): JsonObject {
    const { url: _url, ...data } = JSON.parse(p.data_json) as JsonObject;
    const sender = this.storage.users.getProfile(row.sender);
    const n: JsonObject = {
      id: row.event_id, room_id: row.room_id, type: row.type, sender: row.sender, prio: 'high',
      content: (ev.content ?? {}) as JsonObject,
      counts: { unread: this.unread(p.user_id, row) },
      devices: [{ app_id: p.app_id, pushkey: p.pushkey, pushkey_ts: Math.floor(p.ts / 1000), data, tweaks }],
    };
    if (sender?.displayname) n.sender_display_name = sender.displayname;
    const nameId = this.storage.state.currentStateEventId(row.room_id, 'm.room.name', '');
    const name = nameId ? this.loader.pdu(nameId)?.content?.name : undefined;
    if (typeof name === 'string') n.room_name = name;
    if (row.type === 'm.room.member') n.user_is_target = row.state_key === p.user_id;
    return n;
  }

  /** Messages in the room after the user's read receipt, up to the pushed event (capped). */
  private unread(userId: string, row: EventRow): number {
    const receipt = this.storage.receipts.roomReceipts(row.room_id).find((r) => r.user_id === userId && r.receipt_type === 'm.read');
    const read = receipt ? this.storage.events.getEvent(receipt.event_id)?.stream_ordering ?? 0 : 0;
    const rows = this.storage.events.roomEventsInStreamRange(row.room_id, read, row.stream_ordering!, UNREAD_CAP + 50);
    return Math.min(rows.filter((r) => r.type === 'm.room.message' && r.sender !== userId).length, UNREAD_CAP) || 1;
  }

  private async post(url: string, body: string, pushkey: string): Promise<true | 'retry' | 'rejected'> {
    try {
      const res = await request(url, {
        method: 'POST', body, headers: { 'content-type': 'application/json' },
        headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS, signal: this.stop.signal,
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) return 'retry';
      // A gateway answers {"rejected": [pushkey, ...]} for keys it no longer accepts.
      try {
        const parsed = JSON.parse(text) as { rejected?: unknown };
        if (Array.isArray(parsed.rejected) && parsed.rejected.includes(pushkey)) return 'rejected';
      } catch {
        // an empty or non-JSON 200 is a success
      }
      return true;
    } catch {
      return 'retry';
    }
  }

  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.stop.signal.aborted) return resolve(false);
      const t = setTimeout(() => {
        this.stop.signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        resolve(false);
      };
      this.stop.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
