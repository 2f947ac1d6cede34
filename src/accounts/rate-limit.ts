import type { Requester } from './auth.js';
import { limitExceeded } from '../errors.js';

/** Per-user token bucket (Synapse's rc_messages_per_second / rc_message_burst_count). */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perSecond: number, private readonly burst: number, private readonly clock: () => number) {}

  /** Takes one token or throws 429 M_LIMIT_EXCEEDED with retry_after_ms. */
  check(r: Requester): void {
    if (!r.rateLimited) return;
    const now = this.clock();
    const b = this.buckets.get(r.userId) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(r.userId, b);
      throw limitExceeded(Math.ceil(((1 - b.tokens) / this.perSecond) * 1000));
    }
    b.tokens -= 1;
    this.buckets.set(r.userId, b);
    if (this.buckets.size > 10_000) this.prune(now);
  }

  /** Full buckets carry no information: forget them. */
  private prune(now: number): void {
    for (const [u, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(u);
    }
  }
}
