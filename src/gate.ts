// A bounded gate: at most `concurrency` tasks run at once, at most `queueMax` wait for a slot;
// past that, `full()` is thrown. Used where a caller could make us do expensive work (password
// hashing, outbound fetches) without a bound.
export class BoundedGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency: number, private readonly queueMax: number, private readonly full: () => Error) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueMax) throw this.full();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // hands its slot on: `running` stays the same
      else this.running--;
    }
  }
}
