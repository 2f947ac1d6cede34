// The inspector's live feed: new events as they are persisted, and queue changes, pushed to every
// open page as server-sent events. Queues are compared once a second, only while a page listens.
import type { AfterCommitListener } from '../rooms/persist.js';
import type { InspectorService } from './inspector-service.js';

export interface LiveMessage {
  kind: 'event' | 'queues';
  data: unknown;
}

type Listener = (msg: LiveMessage) => void;

const QUEUE_POLL_MS = 1000;
const MAX_LISTENERS = 32;

export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastQueues = '';

  constructor(private readonly service: InspectorService) {}

  /** Persister listener: each new event to the open pages. */
  readonly afterCommit: AfterCommitListener = (ev) => {
    if (this.listeners.size === 0) return;
    const { pdu } = ev;
    this.publish({
      kind: 'event',
      data: {
        room_id: pdu.room_id, event_id: pdu.event_id, type: pdu.type, sender: pdu.sender,
        state_key: pdu.state_key ?? null, outlier: ev.outlier, rejected_reason: ev.rejected,
      },
    });
  };

  /** Returns an unsubscribe function, or null when too many pages are open. */
  subscribe(fn: Listener): (() => void) | null {
    if (this.listeners.size >= MAX_LISTENERS) return null;
    this.listeners.add(fn);
    fn({ kind: 'queues', data: this.service.queues() });
    if (!this.timer) {
      this.lastQueues = JSON.stringify(this.service.queues());
      this.timer = setInterval(() => this.pollQueues(), QUEUE_POLL_MS);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private pollQueues(): void {
    let snapshot: string;
    try {
      snapshot = JSON.stringify(this.service.queues());
    } catch {
      return; // database closing: the next tick or the shutdown settles it
    }
    if (snapshot === this.lastQueues) return;
    this.lastQueues = snapshot;
    this.publish({ kind: 'queues', data: JSON.parse(snapshot) });
  }

  private publish(msg: LiveMessage): void {
    for (const fn of this.listeners) fn(msg);
  }
}
