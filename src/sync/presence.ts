import type { Storage } from '../storage/index.js';
import type { Notifier } from './notifier.js';
import type { EduSender, PresenceUpdate } from './ports.js';
import type { PresenceRow } from '../storage/presence.js';
import { isValidUserId, serverOf, type JsonObject } from '../events/index.js';
import { MatrixError, forbidden, notFound } from '../errors.js';
import { MAX_STATUS_MSG_LENGTH, checkLength } from '../accounts/text-limits.js';

/** User ids one POST /presence/list may invite or drop. */
const MAX_LIST_EDIT = 100;
const MAX_LIST_SIZE = 1000;

/** Synapse's STREAM_STOP_TIMEOUT: a stream reopened within this is the same session. */
const STREAM_STOP_GRACE_MS = 30_000;
const MAX_REMOTE_PROFILES = 10_000;
/** Users one presence poll asks a server about (its EDU handler reads at most 100). */
const MAX_POLL_PER_SERVER = 100;
const MAX_PROFILE_FIELD = 1024;
const STATES = new Set(['online', 'unavailable', 'offline', 'free_for_chat']);

export interface PresenceEvent {
  type: 'm.presence';
  content: JsonObject;
}

/** Presence of local and remote users, persisted with a stream id so tokens survive restarts. */
export class PresenceService {
  /** When each user's event stream was last open; users seen here are swept to offline when idle. */
  private readonly lastSeen = new Map<string, number>();
  /** Remote users' displayname and avatar from their presence updates, oldest first. */
  private readonly remoteProfiles = new Map<string, { displayname: string | null; avatar_url: string | null }>();
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly clock: () => number,
    private readonly config: { presenceIdleTimeoutMs: number },
    private readonly notifier: Pick<Notifier, 'notifyUsers' | 'notifyRooms' | 'isWaiting'>,
    /** Presence out to other servers (noEduSender when federation is off). */
    private readonly edus: EduSender,
  ) {
    const idle = config.presenceIdleTimeoutMs;
    this.sweeper = setInterval(() => this.sweepIdle(), Math.max(10, Math.min(idle / 2, 30_000)));
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** Our user's current presence with their profile, to answer a peer's presence poll. */
  localPresence(userId: string): PresenceUpdate | null {
    const row = this.storage.presence.get(userId);
    if (!row) return null;
    // With the profile, as the pushes on join carry it (Synapse 0.12's presence carried it).
    const p = this.storage.users.getProfile(userId);
    return {
      presence: row.state, last_active_ago: this.clock() - row.last_active_ts, status_msg: row.status_msg,
      displayname: p?.displayname ?? null, avatar_url: p?.avatar_url ?? null,
    };
  }

  /** Synapse marked users offline some time after their last event stream closed. */
  private sweepIdle(): void {
    const cutoff = this.clock() - this.config.presenceIdleTimeoutMs;
    for (const [userId, seen] of this.lastSeen) {
      if (seen > cutoff || this.notifier.isWaiting(userId)) continue;
      this.lastSeen.delete(userId);
      const row = this.storage.presence.get(userId);
      if (row && row.state !== 'offline') this.update(userId, 'offline', row.status_msg);
    }
  }

  currentStreamId(): number {
    return this.storage.presence.currentStreamId();
  }

  /** PUT /presence/{userId}/status */
  setStatus(requester: string, userId: string, body: Record<string, unknown>): void {
    if (requester !== userId) throw forbidden("Cannot set another user's presence");
    const { presence, status_msg: statusMsg, ...rest } = body;
    if (typeof presence !== 'string' || !STATES.has(presence) || Object.keys(rest).length > 0 ||
      (statusMsg !== undefined && statusMsg !== null && typeof statusMsg !== 'string')) {
      throw new MatrixError(400, 'M_BAD_JSON', 'Unable to parse state');
    }
    checkLength('status_msg', (statusMsg as string | null | undefined) ?? null, MAX_STATUS_MSG_LENGTH);
    this.update(userId, presence, (statusMsg as string | undefined) ?? null);
  }

  /** Opening an event stream marks the user online (without churning the stream if already so). */
  markActive(userId: string): void {
    const now = this.clock();
    const seen = this.lastSeen.get(userId);
    this.lastSeen.set(userId, now);
    // As Synapse 0.12: only a stream opened after none was open for STREAM_STOP_GRACE_MS brings
    // the user online; a client polling on keeps the state it set (e.g. "offline").
    if (seen !== undefined && (now - seen < STREAM_STOP_GRACE_MS || this.notifier.isWaiting(userId))) return;
    const row = this.storage.presence.get(userId);
    if (row?.state === 'online') return;
    this.update(userId, 'online', row?.status_msg ?? null);
  }

  /**
   * A new displayname or avatar: Synapse 0.12 pushed the user's presence (which carries them)
   * again to the user, the rooms they share and their observers (SyTest 20profile-events).
   */
  profileChanged(userId: string): void {
    const row = this.storage.presence.get(userId);
    this.update(userId, row?.state ?? 'offline', row?.status_msg ?? null);
  }

  /**
   * Someone joined a room (Synapse 0.12's user_joined_room): a local joiner's presence goes out
   * again, to the members and to the servers in the room; for a remote joiner, its server gets
   * the presence of our members of the room, which it has not seen before.
   */
  joinedRoom(userId: string, roomId: string): void {
    if (serverOf(userId) === this.serverName) {
      this.profileChanged(userId);
      this.pollRemoteMembers(roomId);
      return;
    }
    const now = this.clock();
    const pushes = [];
    for (const member of this.storage.state.membersWith(roomId, 'join')) {
      if (serverOf(member) !== this.serverName) continue;
      const row = this.storage.presence.get(member);
      const p = this.storage.users.getProfile(member);
      pushes.push({
        user_id: member, presence: row?.state ?? 'offline', last_active_ago: row ? now - row.last_active_ts : 0,
        status_msg: row?.status_msg ?? null, displayname: p?.displayname ?? null, avatar_url: p?.avatar_url ?? null,
      });
    }
    this.edus.sendPresenceTo(serverOf(userId), pushes);
  }

  /**
   * A local user joined: ask the other servers of the room for their members' presence (the
   * 2015 presence poll). Their own pushes on our join may arrive before our copy of the room
   * lists those members, and are then dropped; the poll's answer comes once it does.
   */
  private pollRemoteMembers(roomId: string): void {
    const servers = this.storage.state.joinedServers(roomId);
    if (servers.length === 1 && servers[0] === this.serverName) return; // nobody to poll
    const byServer = new Map<string, string[]>();
    for (const member of this.storage.state.membersWith(roomId, 'join')) {
      const server = serverOf(member);
      if (server === this.serverName) continue;
      const list = byServer.get(server) ?? [];
      if (list.length < MAX_POLL_PER_SERVER) list.push(member);
      byServer.set(server, list);
    }
    for (const [server, users] of byServer) this.edus.pollPresence(server, users);
  }

  /** The user's stream was open until now (the idle clock starts when the last poll ends). */
  touch(userId: string): void {
    if (this.lastSeen.has(userId)) this.lastSeen.set(userId, this.clock());
  }

  /** A presence push from another server (edus.ts has checked every field). */
  setRemote(userId: string, u: { presence: string; status_msg?: string | null; last_active_ago?: number; displayname?: unknown; avatar_url?: unknown }): void {
    if (!STATES.has(u.presence)) return;
    // The profile a peer's presence carries, shown with that presence as Synapse 0.12 did
    // (held in memory, bounded: it is refreshed by the next update).
    const text = (v: unknown) => (typeof v === 'string' && v.length <= MAX_PROFILE_FIELD ? v : null);
    this.remoteProfiles.delete(userId);
    this.remoteProfiles.set(userId, { displayname: text(u.displayname), avatar_url: text(u.avatar_url) });
    if (this.remoteProfiles.size > MAX_REMOTE_PROFILES) this.remoteProfiles.delete(this.remoteProfiles.keys().next().value!);
    this.storage.presence.set(userId, u.presence, u.status_msg ?? null, this.clock() - (u.last_active_ago ?? 0));
    this.wakeAudience(userId);
  }

  private update(userId: string, state: string, statusMsg: string | null): void {
    const now = this.clock();
    this.storage.presence.set(userId, state, statusMsg, now);
    this.wakeAudience(userId);
    if (serverOf(userId) === this.serverName) {
      const p = this.storage.users.getProfile(userId);
      this.edus.sendPresence(userId, {
        presence: state, last_active_ago: 0, status_msg: statusMsg, displayname: p?.displayname ?? null, avatar_url: p?.avatar_url ?? null,
      });
    }
  }

  /** GET /presence/{userId}/status — only for users you share a room with, or list. */
  getStatus(requester: string, userId: string): JsonObject {
    if (requester !== userId && !this.visibleUsers(requester).has(userId)) throw notFound('Presence information not visible');
    const row = this.storage.presence.get(userId);
    const out: JsonObject = { presence: row?.state ?? 'offline' };
    if (row) out.last_active_ago = this.clock() - row.last_active_ts;
    if (row?.status_msg) out.status_msg = row.status_msg;
    return out;
  }

  /** Users whose presence `userId` sees: everyone sharing a joined room, plus the accepted entries of their presence list. */
  visibleUsers(userId: string): Set<string> {
    const users = new Set<string>();
    for (const { room_id } of this.storage.state.roomsForUser(userId, ['join'])) {
      for (const u of this.storage.state.membersWith(room_id, 'join')) users.add(u);
    }
    for (const r of this.storage.presence.list(userId)) if (r.accepted === 1) users.add(r.observed_user_id);
    users.add(userId);
    return users;
  }

  /**
   * Wakes whoever sees `userId`'s presence: the members of their rooms (woken per room, without
   * listing the members), their presence list and their observers.
   */
  private wakeAudience(userId: string): void {
    this.notifier.notifyRooms(this.storage.state.joinedRoomIds(userId));
    const users = new Set<string>([userId]);
    for (const r of this.storage.presence.list(userId)) if (r.accepted === 1) users.add(r.observed_user_id);
    for (const o of this.storage.presence.observers(userId)) users.add(o);
    this.notifier.notifyUsers(users);
  }

  eventsBetween(userId: string, fromExclusive: number, toInclusive: number): PresenceEvent[] {
    const visible = this.visibleUsers(userId);
    if (visible.size < toInclusive - fromExclusive) {
      // Fewer users to see than changes in the range (e.g. many users coming online at once):
      // read their own rows (one per user, holding its last change) rather than every change.
      const rows: PresenceRow[] = [];
      for (const u of visible) {
        const r = this.storage.presence.get(u);
        if (r && r.stream_id > fromExclusive && r.stream_id <= toInclusive) rows.push(r);
      }
      return rows.sort((a, b) => a.stream_id - b.stream_id).map((r) => this.toEvent(r));
    }
    const rows = this.storage.presence.changedBetween(fromExclusive, toInclusive);
    return rows.filter((r) => visible.has(r.user_id)).map((r) => this.toEvent(r));
  }

  /** Current presence of everyone the user can see (initialSync). */
  snapshot(userId: string): PresenceEvent[] {
    const out: PresenceEvent[] = [];
    for (const u of this.visibleUsers(userId)) {
      const row = this.storage.presence.get(u);
      if (row) out.push(this.toEvent(row));
    }
    return out;
  }

  toEvent(row: PresenceRow): PresenceEvent {
    const p = serverOf(row.user_id) === this.serverName ? this.storage.users.getProfile(row.user_id) : this.remoteProfiles.get(row.user_id);
    const content: JsonObject = {
      user_id: row.user_id, presence: row.state, last_active_ago: this.clock() - row.last_active_ts,
      displayname: p?.displayname ?? null, avatar_url: p?.avatar_url ?? null,
    };
    if (row.status_msg) content.status_msg = row.status_msg;
    return { type: 'm.presence', content };
  }

  /**
   * GET /presence/list/{userId}. An invite stays pending (`accepted: false`) until the invited
   * user consents by inviting the requester back; only then is their presence shown. A pending
   * entry reads `offline` whatever the truth, so it has the shape 2015 clients read (SyTest
   * 10apidoc checks for a `presence` key) and reveals nothing.
   */
  list(requester: string, userId: string): JsonObject[] {
    if (requester !== userId) throw forbidden('Cannot see another user\'s presence list');
    return this.storage.presence.list(userId).map((r) =>
      r.accepted === 1
        ? { user_id: r.observed_user_id, accepted: true, ...this.getStatusRaw(r.observed_user_id) }
        : { user_id: r.observed_user_id, accepted: false, presence: 'offline' },
    );
  }

  /**
   * POST /presence/list/{userId} {"invite": [...], "drop": [...]}. Inviting someone who already
   * listed you accepts their invite (both now see each other); dropping someone withdraws it.
   */
  editList(requester: string, userId: string, body: Record<string, unknown>): void {
    if (requester !== userId) throw forbidden('Cannot change another user\'s presence list');
    const invite = body.invite ?? [];
    const drop = body.drop ?? [];
    if (!Array.isArray(invite) || !Array.isArray(drop) || ![...invite, ...drop].every(isValidUserId)) {
      throw new MatrixError(400, 'M_BAD_JSON', "'invite' and 'drop' must be lists of user ids");
    }
    if (invite.length + drop.length > MAX_LIST_EDIT) {
      throw new MatrixError(400, 'M_TOO_LARGE', `At most ${MAX_LIST_EDIT} user ids per request`);
    }
    const changed = new Set<string>([userId]);
    this.storage.transaction(() => {
      for (const u of invite as string[]) if (u !== userId) this.storage.presence.addToList(userId, u);
      for (const u of drop as string[]) this.storage.presence.dropFromList(userId, u);
      if (this.storage.presence.listSize(userId) > MAX_LIST_SIZE) {
        throw new MatrixError(400, 'M_TOO_LARGE', `A presence list holds at most ${MAX_LIST_SIZE} users`); // rolls back
      }
    });
    for (const u of [...invite, ...drop] as string[]) changed.add(u);
    this.notifier.notifyUsers(changed);
  }

  private getStatusRaw(userId: string): JsonObject {
    const row = this.storage.presence.get(userId);
    return row
      ? { presence: row.state, last_active_ago: this.clock() - row.last_active_ts, ...(row.status_msg ? { status_msg: row.status_msg } : {}) }
      : { presence: 'offline' };
  }
}
