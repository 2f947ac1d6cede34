/**
 * Wakes waiting long-polls. It carries no data: a woken /events request re-reads the
 * streams from its token, so a wake-up can never be lost or duplicated.
 */
export class Notifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Set on shutdown: waits end at once, so long-polls don't hold the server open. */
  closed = false;

  /** Resolves when `userId` is notified, after `timeoutMs`, or when `signal` aborts. */
  wait(userId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      let set = this.waiters.get(userId);
      if (!set) this.waiters.set(userId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(userId) === set) this.waiters.delete(userId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  /** Waits for news in a room, for a reader who is not in it (world_readable rooms). */
  waitRoom(roomId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.wait(roomKey(roomId), timeoutMs, signal);
  }

  notifyRoom(roomId: string): void {
    this.notifyUsers([roomKey(roomId)]);
  }

  notifyUsers(userIds: Iterable<string>): void {
    for (const u of userIds) {
      const set = this.waiters.get(u);
      if (set) for (const wake of [...set]) wake();
    }
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

  waitingCount(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}

/** Room waits share the map with user waits; a user id always starts with '@'. */
function roomKey(roomId: string): string {
  return `room ${roomId}`;
}
