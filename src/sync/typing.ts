import type { Storage } from '../storage/index.js';
import type { Notifier } from './notifier.js';
import type { EduSender } from './ports.js';
import { serverOf } from '../events/index.js';
import { forbidden } from '../errors.js';

const MAX_TIMEOUT_MS = 120_000;
const REMOTE_TIMEOUT_MS = 30_000;

/**
 * Who is typing in each room. In memory, as in Synapse: typing is transient. A serial counts
 * changes so /events can tell what is new; after a restart it starts again at 0 and older
 * tokens are simply treated as current.
 */
export class TypingService {
  private readonly typing = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();
  private readonly roomSerial = new Map<string, number>();
  private serial = 0;

  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly notifier: Notifier,
    /** Typing out to other servers (noEduSender when federation is off). */
    private readonly edus: EduSender,
  ) {}

  close(): void {
    for (const users of this.typing.values()) for (const t of users.values()) clearTimeout(t);
    this.typing.clear();
  }

  currentSerial(): number {
    return this.serial;
  }

  /** PUT /rooms/{roomId}/typing/{userId} from a local client. */
  setLocal(roomId: string, requester: string, userId: string, typing: boolean, timeoutMs: number): void {
    if (requester !== userId) throw forbidden("Cannot set another user's typing state");
    if (serverOf(userId) !== this.serverName) throw forbidden('User is not local');
    if (this.storage.state.membershipOf(roomId, userId) !== 'join') throw forbidden('User is not in the room');
    this.set(roomId, userId, typing, Math.min(Math.max(timeoutMs, 0), MAX_TIMEOUT_MS));
    this.edus.sendTyping(roomId, userId, typing);
  }

  /** An m.typing EDU from another server. */
  setRemote(roomId: string, userId: string, typing: boolean): void {
    this.set(roomId, userId, typing, REMOTE_TIMEOUT_MS);
  }

  private set(roomId: string, userId: string, typing: boolean, timeoutMs: number): void {
    let users = this.typing.get(roomId);
    const had = users?.has(userId) ?? false;
    if (had) clearTimeout(users!.get(userId)!);
    if (typing) {
      if (!users) this.typing.set(roomId, (users = new Map()));
      const timer = setTimeout(() => this.set(roomId, userId, false, 0), timeoutMs);
      timer.unref();
      users.set(userId, timer);
      if (!had) this.changed(roomId);
    } else if (had) {
      users!.delete(userId);
      if (users!.size === 0) this.typing.delete(roomId);
      this.changed(roomId);
    }
  }

  private changed(roomId: string): void {
    this.roomSerial.set(roomId, ++this.serial);
    this.notifier.notifyRoom(roomId);
  }

  /** m.typing events for the given rooms whose typing set changed after `since`. */
  eventsSince(since: number, roomIds: Iterable<string>): { type: 'm.typing'; room_id: string; content: { user_ids: string[] } }[] {
    const out = [];
    const effectiveSince = since > this.serial ? 0 : since;
    for (const roomId of roomIds) {
      const changedAt = this.roomSerial.get(roomId);
      if (changedAt === undefined || changedAt <= effectiveSince) continue;
      out.push({ type: 'm.typing' as const, room_id: roomId, content: { user_ids: this.typingIn(roomId) } });
    }
    return out;
  }

  typingIn(roomId: string): string[] {
    return [...(this.typing.get(roomId)?.keys() ?? [])];
  }
}
