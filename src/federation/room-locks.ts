/**
 * One promise chain per room: remote events of a room are processed one at a time (fetching
 * missing events and state included), while different rooms proceed independently.
 */
export class RoomLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(roomId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(roomId, tail);
    void tail.then(() => {
      if (this.tails.get(roomId) === tail) this.tails.delete(roomId);
    });
    return next;
  }
}
