import { limitExceeded } from '../errors.js';

/** Token buckets by key: `burst` tokens, refilled at `perSecond`. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perSecond: number, private readonly burst: number, private readonly clock: () => number) {}

  /** Milliseconds until `key` has a token again (0: it has one now). */
  waitMs(key: string): number {
    const tokens = this.level(key, this.clock());
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.perSecond) * 1000);
  }

  /** Takes one token or throws 429 M_LIMIT_EXCEEDED with retry_after_ms. */
  take(key: string): void {
    const wait = this.waitMs(key);
    if (wait > 0) throw limitExceeded(wait);
    this.add(key, -1);
  }

  /** Gives back a token taken in advance (a login that turned out right). */
  refund(key: string): void {
    this.add(key, 1);
  }

  private level(key: string, now: number): number {
    const b = this.buckets.get(key);
    return b ? Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond) : this.burst;
  }

  private add(key: string, n: number): void {
    const now = this.clock();
    this.buckets.set(key, { tokens: Math.min(this.burst, this.level(key, now) + n), at: now });
    if (this.buckets.size > 10_000) this.prune(now);
  }

  /** Full buckets carry no information: forget them. */
  private prune(now: number): void {
    for (const k of [...this.buckets.keys()]) if (this.level(k, now) >= this.burst) this.buckets.delete(k);
  }
}

/** Per-user token bucket (Synapse's rc_messages_per_second / rc_message_burst_count). */
export class RateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(perSecond: number, burst: number, clock: () => number) {
    this.buckets = new TokenBuckets(perSecond, burst, clock);
  }

  /** Takes one token or throws 429 M_LIMIT_EXCEEDED with retry_after_ms. */
  check(r: { userId: string; rateLimited: boolean }): void {
    if (r.rateLimited) this.buckets.take(r.userId);
  }
}

export interface LoginLimits {
  perUser: { perSecond: number; burst: number };
  perAddress: { perSecond: number; burst: number };
}

/**
 * Failed logins, per user and per client address (as Synapse's rc_login.failed_attempts did
 * later). An attempt takes a token from both buckets BEFORE the password is hashed, so parallel
 * guesses cannot all slip through; a correct password gives the tokens back.
 */
export class LoginLimiter {
  private readonly users: TokenBuckets;
  private readonly addresses: TokenBuckets;

  constructor(limits: LoginLimits, clock: () => number) {
    this.users = new TokenBuckets(limits.perUser.perSecond, limits.perUser.burst, clock);
    this.addresses = new TokenBuckets(limits.perAddress.perSecond, limits.perAddress.burst, clock);
  }

  /** Throws 429 when the user or the address has failed too often; else reserves one failure. */
  begin(userId: string, address: string): { succeeded(): void } {
    const wait = Math.max(this.users.waitMs(userId), this.addresses.waitMs(address));
    if (wait > 0) throw limitExceeded(wait);
    this.users.take(userId);
    this.addresses.take(address);
    return {
      succeeded: () => {
        this.users.refund(userId);
        this.addresses.refund(address);
      },
    };
  }
}
