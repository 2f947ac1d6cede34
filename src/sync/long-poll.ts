// The long-poll loop shared by GET /events and GET /sync. It holds no database transaction
// while waiting: each round reads from its token, and the notifier only says "look again".
import type { Notifier } from './notifier.js';

const MAX_TIMEOUT_MS = 60_000;
// Synapse raised any non-zero timeout to 500 ms; 0 still means "answer now".
const MIN_TIMEOUT_MS = 500;

/** What one read found. */
export interface PollRound<T> {
  /** The answer if this round ends the poll. */
  value: T;
  /** Something to send: answer now. */
  ready: boolean;
  /** Nothing to send yet, but the read stopped at a page limit: read on at once without waiting. */
  more?: boolean;
}

export interface PollTarget {
  notifier: Notifier;
  userId: string;
  /** A single room read (GET /events?room_id=): news in the room wakes a reader who is not in it. */
  roomId?: string | null;
}

/**
 * Waits until something for this user (or room) arrives or the timeout passes, then answers.
 * Each round subscribes to the notifier BEFORE calling `read`, so an event committed in between
 * still wakes the wait. The poll ends when a round is `ready`, the timeout passed, the request was
 * aborted, or the notifier was shut down. `timeoutMs` 0 answers at once; any other value is
 * clamped to [500 ms, 60 s].
 */
export async function longPoll<T>(target: PollTarget, timeoutMs: number, signal: AbortSignal, read: () => PollRound<T>): Promise<T> {
  const { notifier, userId, roomId = null } = target;
  const deadline = Date.now() + (timeoutMs === 0 ? 0 : Math.min(Math.max(timeoutMs, MIN_TIMEOUT_MS), MAX_TIMEOUT_MS));
  for (;;) {
    const remaining = deadline - Date.now();
    const round = new AbortController();
    const abort = () => round.abort();
    signal.addEventListener('abort', abort, { once: true });
    const woken = roomId !== null
      ? Promise.race([notifier.wait(userId, Math.max(remaining, 0), round.signal), notifier.waitRoom(roomId, Math.max(remaining, 0), round.signal)])
      : notifier.wait(userId, Math.max(remaining, 0), round.signal);
    const r = read();
    if (r.ready || r.more || remaining <= 0 || signal.aborted || notifier.closed) {
      round.abort();
      signal.removeEventListener('abort', abort);
      if (!r.ready && r.more && remaining > 0 && !signal.aborted) continue;
      return r.value;
    }
    await woken;
    signal.removeEventListener('abort', abort);
  }
}
