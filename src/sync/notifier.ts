/**
 * Wakes waiting long-polls. It carries no data: a woken /events request re-reads the
 * streams from its token, so a wake-up can never be lost or duplicated.
 *
 * A user's wait is registered under the user and under each room they are joined to, so news
 * in a room wakes the waiters of that room (notifyRoom) without walking its member list: a
 * send costs the same in a room of 10,000 members as in a room of two. The rooms are read when
 * the wait starts; a change of the user's own membership notifies the user (the event's
 * state_key), whose next wait then covers the new set of rooms.
 */
export class Notifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  private waiting = 0;
  /** Set on shutdown: waits end at once, so long-polls don't hold the server open. */
  closed = false;

  /** `joinedRooms` lists the rooms a user is joined to (read once per wait). */
  constructor(private readonly joinedRooms: (userId: string) => Iterable<string>) {}

  /** Resolves when `userId` or one of their joined rooms is notified, after `timeoutMs`, or when `signal` aborts. */
  wait(userId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
    const keys = [userId];
    for (const roomId of this.joinedRooms(userId)) keys.push(roomKey(roomId));
    return this.waitOn(keys, timeoutMs, signal);
  }

  /** Waits for news in a room, for a reader who is not in it (world_readable rooms). */
  waitRoom(roomId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waitOn([roomKey(roomId)], timeoutMs, signal);
  }

  /** Wakes everyone waiting on the room: its joined members' waits and readers from outside. */
  notifyRoom(roomId: string): void {
    this.wake(roomKey(roomId));
  }

  notifyRooms(roomIds: Iterable<string>): void {
    for (const r of roomIds) this.wake(roomKey(r));
  }

  notifyUsers(userIds: Iterable<string>): void {
    for (const u of userIds) this.wake(u);
  }

  notifyAll(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }

  /** Ends every wait now and every later one at once. */
  shutdown(): void {
    this.closed = true;
    this.notifyAll();
  }

  isWaiting(userId: string): boolean {
    return (this.waiters.get(userId)?.size ?? 0) > 0;
  }

  /** Waits in progress (each counted once, whatever the number of rooms it covers). */
  waitingCount(): number {
    return this.waiting;
  }

  private waitOn(keys: string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      let ended = false;
      const done = () => {
        if (ended) return;
        ended = true;
        this.waiting--;
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        for (const k of keys) {
          const set = this.waiters.get(k);
          if (!set) continue;
          set.delete(done);
          if (set.size === 0) this.waiters.delete(k);
        }
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.waiting++;
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(done);
      }
    });
  }

  private wake(key: string): void {
    const set = this.waiters.get(key);
    if (set) for (const wake of [...set]) wake();
  }
}

/** Room waits share the map with user waits; a user id always starts with '@'. */
function roomKey(roomId: string): string {
  return `room ${roomId}`;
}
