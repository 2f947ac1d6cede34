// Storing an event that has passed (or failed) auth: the row, its state groups, redactions, the
// room's forward extremities and current state, and the in-transaction listeners. Runs inside the
// caller's SQLite transaction, in the room's turn of the write queue (EventPersister).
import type { Storage } from '../storage/index.js';
import type { EventRow } from '../storage/events.js';
import { withStateEntry, type StateIds } from '../storage/state.js';
import type { Pdu, JsonObject } from '../events/index.js';
import { stateKey, namedLevel, serverOf, userPowerLevel } from '../events/index.js';
import type { EventLoader } from './event-loader.js';
import type { StateAt } from './state-at.js';

export interface PersistedEvent {
  pdu: Pdu;
  streamOrdering: number | null;
  outlier: boolean;
  backfilled: boolean;
  rejected: string | null;
  /** Room state before the event (ids), when known. */
  stateBefore: StateIds | null;
  /** Room's current state after persisting (ids), for non-outliers. */
  currentState: StateIds | null;
  ageTs: number;
}

/** Run inside the event's SQLite transaction: durable queue rows (federation, appservices), the search index. */
export type InTransactionListener = (ev: PersistedEvent) => void;

export type Before = { ids: StateIds; group: number | null };
export interface Stored { ev: PersistedEvent; after: StateIds | null; groupAfter: number | null }

export interface StoreOptions {
  before: Before | null; outlier: boolean; backfilled: boolean; rejected: string | null; ageTs: number;
  hashMismatch: boolean; stateSupplied?: boolean;
  /** A new local event: the room's forward extremities it was built on (all its prev_events). */
  localExtremities?: string[];
}

export class EventWriter {
  constructor(
    private readonly storage: Storage,
    private readonly loader: EventLoader,
    private readonly stateAt: StateAt,
    private readonly clock: () => number,
    private readonly inTransaction: readonly InTransactionListener[],
  ) {}

  store(
    pdu: Pdu, json: string, referenceHash: string,
    o: StoreOptions,
  ): Stored {
    const { events, state } = this.storage;
    const roomId = pdu.room_id;
    const inTimeline = !o.outlier && !o.rejected;
    let groupAfter: number | null = o.before?.group ?? null;
    let after: StateIds | null = o.before?.ids ?? null;
    if (inTimeline && after && pdu.state_key !== undefined) {
      after = withStateEntry(after, stateKey(pdu.type, pdu.state_key), pdu.event_id);
      groupAfter = state.createGroup(roomId, after, o.before!.group);
    }
    const streamOrdering = o.outlier ? null : o.backfilled ? events.allocateBackfillOrdering() : events.allocateStreamOrdering();
    const prevIds = pdu.prev_events.map((p) => p[0]);
    this.loader.rememberReferenceHash(pdu.event_id, referenceHash);
    events.insertEvent(
      {
        event_id: pdu.event_id, stream_ordering: streamOrdering, room_id: roomId, type: pdu.type,
        state_key: pdu.state_key ?? null, sender: pdu.sender, depth: pdu.depth, origin_server_ts: pdu.origin_server_ts,
        received_ts: this.clock(), age_ts: o.ageTs, json, outlier: o.outlier ? 1 : 0, rejected_reason: o.rejected,
        hash_mismatch: o.hashMismatch ? 1 : 0, state_group_before: o.before?.group ?? null, state_group: groupAfter,
        reference_hash: referenceHash,
      },
      prevIds,
    );
    this.applyRedactions(pdu, o.rejected, o.localExtremities !== undefined);
    let current: StateIds | null = null;
    if (inTimeline && !o.backfilled) {
      current = this.advanceRoom(pdu, prevIds, after, !!o.stateSupplied, o.localExtremities);
    } else if (o.backfilled) {
      events.removeBackwardExtremity(pdu.event_id);
      for (const p of prevIds) if (!events.hasEvent(p)) events.addBackwardExtremity(roomId, p);
    }
    const persisted: PersistedEvent = {
      pdu, streamOrdering, outlier: o.outlier, backfilled: o.backfilled, rejected: o.rejected,
      stateBefore: o.before?.ids ?? null, currentState: current, ageTs: o.ageTs,
    };
    if (!o.outlier) for (const h of this.inTransaction) h(persisted);
    return { ev: persisted, after, groupAfter };
  }

  promoteOutlier(
    row: EventRow, pdu: Pdu, before: { ids: StateIds; group: number | null } | null, rejected: string | null, opts: { backfilled?: boolean; stateBefore?: StateIds },
  ): PersistedEvent {
    const { events, state } = this.storage;
    let after = before?.ids ?? null;
    let groupAfter = before?.group ?? null;
    if (!rejected && after && pdu.state_key !== undefined) {
      after = withStateEntry(after, stateKey(pdu.type, pdu.state_key), pdu.event_id);
      groupAfter = state.createGroup(pdu.room_id, after, before!.group);
    }
    const streamOrdering = opts.backfilled ? events.allocateBackfillOrdering() : events.allocateStreamOrdering();
    events.upgradeOutlier(row.event_id, streamOrdering, before?.group ?? null, groupAfter, rejected);
    const current = !rejected && !opts.backfilled ? this.advanceRoom(pdu, pdu.prev_events.map((p) => p[0]), after, !!opts.stateBefore) : null;
    const persisted: PersistedEvent = {
      pdu, streamOrdering, outlier: false, backfilled: !!opts.backfilled, rejected, stateBefore: before?.ids ?? null,
      currentState: current, ageTs: row.age_ts,
    };
    for (const h of this.inTransaction) h(persisted);
    return persisted;
  }

  /** Moves the room's forward extremities and current state past a new timeline event. */
  private advanceRoom(pdu: Pdu, prevIds: string[], after: StateIds | null, stateSupplied = false, localExtremities?: string[]): StateIds {
    const { events, state } = this.storage;
    const roomId = pdu.room_id;
    const before = localExtremities ?? events.forwardExtremities(roomId);
    events.updateForwardExtremities(roomId, pdu.event_id, prevIds, localExtremities !== undefined);
    // A new local event follows events we hold and was never anyone's prev_event.
    if (!localExtremities) {
      events.removeBackwardExtremity(pdu.event_id);
      for (const p of prevIds) if (!events.hasEvent(p)) events.addBackwardExtremity(roomId, p);
    }
    const membership = (id: string) => ((this.loader.pdu(id)?.content as JsonObject | undefined)?.membership as string) ?? null;
    // The usual case: the event follows every extremity, so current state = state after it, and
    // only its own key can have changed.
    // Not when the state before it was supplied by another server (/state, send_join): it may
    // differ from our current state in more than the event's own key.
    const followsAll = !stateSupplied && after !== null && before.length > 0 && before.every((id) => prevIds.includes(id));
    if (followsAll) {
      if (pdu.state_key !== undefined) state.setCurrentStateEntry(roomId, pdu.type, pdu.state_key, pdu.event_id, membership(pdu.event_id));
      return after;
    }
    const extremities = events.forwardExtremities(roomId);
    const current =
      extremities.length === 1 && extremities[0] === pdu.event_id && after
        ? after
        : this.stateAt.afterAll(roomId, extremities.map((id) => events.getEvent(id)!)).ids;
    state.setCurrentState(roomId, current, membership);
    return current;
  }

  private applyRedactions(pdu: Pdu, rejected: string | null, isNew: boolean): void {
    const { events } = this.storage;
    if (!rejected && pdu.type === 'm.room.redaction' && typeof pdu.redacts === 'string') {
      const target = this.loader.pdu(pdu.redacts);
      if (!target || this.redactionApplies(pdu, target)) events.recordRedaction(pdu.event_id, pdu.redacts);
    }
    // A redaction may have arrived before the event it targets: only now can it be checked fully.
    // (Not for an event just made here: no one can have named its id yet.)
    if (isNew) return;
    for (const id of events.redactionsOf(pdu.event_id)) {
      const redaction = this.loader.pdu(id);
      if (redaction && this.redactionApplies(redaction, pdu)) {
        events.recordRedaction(id, pdu.event_id);
        break;
      }
    }
  }

  /**
   * A redaction takes effect only on an event of its own room, and only if its sender had the
   * redact level or is on the same server as the redacted event's sender (auth-rules §3.5).
   */
  private redactionApplies(redaction: Pdu, target: Pdu): boolean {
    if (target.room_id !== redaction.room_id) return false;
    if (serverOf(target.sender) === serverOf(redaction.sender)) return true;
    const row = this.storage.events.getEvent(redaction.event_id);
    const state = row?.state_group_before != null
      ? this.loader.stateEvents(this.storage.state.getGroup(row.state_group_before))
      : this.stateAt.fromAuthEvents(redaction);
    return userPowerLevel(redaction.sender, state) >= namedLevel('redact', 50, state);
  }
}
