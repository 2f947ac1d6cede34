// The single write path for every event, local or federated: auth -> store -> notify -> fan out.
import type { Storage } from '../storage/index.js';
import type { EventRow } from '../storage/events.js';
import { withStateEntry, type StateIds } from '../storage/state.js';
import type { Pdu, StateMap, EventTemplate, JsonObject, AuthContext } from '../events/index.js';
import {
  stateKey, authEventsFor, buildEvent, hashAndSignEvent, computeReferenceHash, checkEventAuth, checkEventSize,
  makeEventId, AuthError, forbid, namedLevel, serverOf, userPowerLevel,
} from '../events/index.js';
import { canonicalJson, CanonicalJsonError, type SigningKey } from '../crypto/index.js';
import { MatrixError, notFound, badJson, matrixErrorOf } from '../errors.js';
import { signNewEvent } from '../events/sign-new-event.js';
import { EventLoader } from './event-loader.js';
import { RoomLocks } from './room-locks.js';
import { StateAt } from './state-at.js';
import { RoomStateCache } from './room-state-cache.js';
import { randomLetters } from '../random.js';

type Before = { ids: StateIds; group: number | null };
interface Stored { ev: PersistedEvent; after: StateIds | null; groupAfter: number | null }
interface Authorised { pdu: Pdu; json: string; referenceHash: string; before: Before; state: StateMap<Pdu>; extremities: string[] }

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

export interface ClientTxnRecord {
  tokenHash: string;
  path: string;
  txnId: string;
}

export interface LocalEventOptions {
  /** Stored with the event in one SQLite transaction, so a retried PUT never sends twice. */
  txn?: ClientTxnRecord;
  /** Extra checks that need the state before the event (e.g. redacting only your own events). */
  check?: (pdu: Pdu, state: StateMap<Pdu>) => void;
}

export interface RemoteEventOptions {
  outlier?: boolean;
  backfilled?: boolean;
  /** The state before the event, when it came from /state or send_join instead of our own graph. */
  stateBefore?: StateIds;
  hashMismatch?: boolean;
  ageTs: number;
}

/** Run inside the event's SQLite transaction: durable queue rows (federation, appservices), the search index. */
export type InTransactionListener = (ev: PersistedEvent) => void;
/**
 * Run after commit: wake long-polls, kick senders. A listener that must write events itself
 * (the guest kicker) gets the writer as an argument, and writes after the current commit.
 */
export type AfterCommitListener = (ev: PersistedEvent, writer: EventPersister) => void;

/** Given once, at construction, by the composition root. */
export interface PersistListeners {
  readonly inTransaction: readonly InTransactionListener[];
  readonly afterCommit: readonly AfterCommitListener[];
}

export class EventPersister {
  readonly stateAt: StateAt;
  /** Current state of recently written rooms, for local sends (see RoomStateCache). */
  readonly roomState = new RoomStateCache();
  /** The per-room write queue every writer uses; local events are group-committed through it. */
  readonly locks: RoomLocks;
  private readonly inTransaction: readonly InTransactionListener[];
  private readonly afterCommit: readonly AfterCommitListener[];
  private counter = 0;

  constructor(
    private readonly storage: Storage,
    private readonly serverName: string,
    private readonly signingKey: SigningKey,
    private readonly clock: () => number,
    /** Parsed events, shared with the readers (sync, federation). */
    readonly loader: EventLoader,
    listeners: PersistListeners,
  ) {
    this.stateAt = new StateAt(storage, this.loader);
    this.inTransaction = [...listeners.inTransaction];
    this.afterCommit = [...listeners.afterCommit];
    this.locks = new RoomLocks((fn) => storage.transaction(fn));
  }

  /**
   * Builds, signs, authorises and stores a new event from this server, in the room's turn of the
   * write queue and together with the other events waiting for the next commit (group commit).
   * Resolves once the transaction holding it has committed. Rejects with MatrixError.
   * With `txn`, a retry of a txnId already stored (even one still waiting in the same batch)
   * resolves to the event stored the first time.
   */
  async createLocalEvent(template: EventTemplate, opts: LocalEventOptions = {}): Promise<PersistedEvent> {
    const roomId = template.room_id;
    let out: { ev: PersistedEvent; fresh: boolean };
    try {
      out = await this.locks.write(roomId, () => this.storeLocal(template, opts));
    } catch (e) {
      // Rolled back (the event alone, or the whole batch): the cache may hold what was not stored.
      this.roomState.delete(roomId);
      throw e;
    }
    if (out.fresh) this.runAfterCommit(out.ev);
    return out.ev;
  }

  /** One local event, inside the batch's transaction (its own savepoint). */
  private storeLocal(template: EventTemplate, opts: LocalEventOptions): { ev: PersistedEvent; fresh: boolean } {
    if (opts.txn) {
      const previous = this.storage.clientTxns.get(opts.txn.tokenHash, opts.txn.path, opts.txn.txnId) as { event_id?: unknown } | undefined;
      const row = typeof previous?.event_id === 'string' ? this.storage.events.getEvent(previous.event_id) : undefined;
      if (row) return { ev: this.persistedFromRow(row), fresh: false };
    }
    const now = this.clock();
    try {
      const a = this.buildAuthorised(template, now, opts.check);
      const stored = this.store(a.pdu, a.json, a.referenceHash, { before: a.before, outlier: false, backfilled: false, rejected: null, ageTs: now, hashMismatch: false, localExtremities: a.extremities });
      if (opts.txn) {
        this.storage.clientTxns.put(opts.txn.tokenHash, opts.txn.path, opts.txn.txnId, { event_id: a.pdu.event_id }, now);
        // /sync echoes the txnId to the same access token as unsigned.transaction_id.
        this.storage.accountData.recordTxn(a.pdu.event_id, opts.txn.tokenHash, opts.txn.txnId);
      }
      this.rememberState(stored, a);
      return { ev: stored.ev, fresh: true };
    } catch (e) {
      this.roomState.delete(template.room_id);
      throw e;
    }
  }

  /**
   * Several new events of this server in ONE SQLite transaction, each following the previous:
   * all are stored or none is (createRoom). `first` runs inside the transaction before the
   * first event (room row, alias), so it is rolled back with them. All events are of one room.
   */
  async createLocalEvents(templates: EventTemplate[], first: () => void = () => {}): Promise<PersistedEvent[]> {
    const roomId = templates[0]?.room_id ?? '';
    if (templates.some((t) => t.room_id !== roomId)) throw new Error('createLocalEvents: events of one room only');
    let evs: PersistedEvent[];
    try {
      evs = await this.locks.write(roomId, () => {
        const now = this.clock();
        first();
        return templates.map((template) => {
          const a = this.buildAuthorised(template, now, undefined);
          const stored = this.store(a.pdu, a.json, a.referenceHash, { before: a.before, outlier: false, backfilled: false, rejected: null, ageTs: now, hashMismatch: false, localExtremities: a.extremities });
          this.rememberState(stored, a);
          return stored.ev;
        });
      });
    } catch (e) {
      this.roomState.delete(roomId);
      throw e;
    }
    for (const ev of evs) this.runAfterCommit(ev);
    return evs;
  }

  /**
   * Everything createLocalEvent does except storing: an invite that another server must
   * countersign first, or a make_join template. Throws MatrixError when not authorised.
   */
  buildLocalEvent(template: EventTemplate, opts: Pick<LocalEventOptions, 'check'> = {}): Pdu {
    return this.storage.transaction(() => this.buildAuthorised(template, this.clock(), opts.check).pdu);
  }

  /**
   * The new event's prev events and the state before it. The hot path: the room's only forward
   * extremity is the one the cache holds the state after; otherwise from stored state groups.
   * `state` is the cache's own map when it came from the cache: read it, never keep it.
   */
  private stateForLocal(roomId: string, isCreate: boolean): {
    prev: { event_id: string; depth: number; referenceHash: string }[]; before: Before; state: StateMap<Pdu>; extremities: string[];
  } {
    // Only this class moves forward extremities, and every write it did not follow drops the
    // room's entry: an entry present is the room's current state after its one extremity.
    const hit = isCreate ? undefined : this.roomState.get(roomId);
    if (hit) return { prev: [hit.extremity], before: { ids: hit.ids, group: hit.group }, state: hit.events, extremities: [hit.extremity.event_id] };
    const extremities = this.storage.events.forwardExtremities(roomId);
    if (extremities.length === 0 && !isCreate) throw notFound('Unknown room');
    if (extremities.length > 0 && isCreate) throw new MatrixError(400, 'M_UNKNOWN', 'Room already exists');
    const prevRows = extremities.map((id) => this.storage.events.getEvent(id)!);
    const before = prevRows.length === 0 ? { ids: new Map<string, string>(), group: null } : this.stateAt.afterAll(roomId, prevRows);
    return {
      prev: prevRows.map((r) => ({ event_id: r.event_id, depth: r.depth, referenceHash: this.referenceHash(r) })),
      before,
      state: this.loader.stateEvents(before.ids),
      extremities,
    };
  }

  /**
   * After a local event is stored (inside its transaction): the room's state after it becomes
   * the cached current state, when it is both (it follows every extremity and has a state group).
   */
  private rememberState({ ev, after, groupAfter }: Stored, { state, referenceHash }: Authorised): void {
    const { pdu } = ev;
    if (after === null || groupAfter === null || ev.currentState !== after) {
      this.roomState.delete(pdu.room_id);
      return;
    }
    if (pdu.state_key !== undefined) state.set(stateKey(pdu.type, pdu.state_key), pdu);
    this.roomState.set(pdu.room_id, {
      extremity: { event_id: pdu.event_id, depth: pdu.depth, referenceHash },
      group: groupAfter, ids: after, events: state,
    });
  }

  private buildAuthorised(
    template: EventTemplate, now: number, check: LocalEventOptions['check'],
  ): Authorised {
    const { prev, before, state, extremities } = this.stateForLocal(template.room_id, template.type === 'm.room.create');
    const authEvents = authEventsFor(template, state);
    const eventId = makeEventId(this.serverName, now, this.counter++ % 1000, randomLetters(5));
    const built = buildEvent(template, {
      eventId,
      origin: this.serverName,
      originServerTs: now,
      prevEvents: prev,
      authEvents: authEvents.map((e) => ({ event_id: e.event_id, referenceHash: this.loader.referenceHash(e) })),
    });
    let signed;
    try {
      signed = signNewEvent(built, this.serverName, this.signingKey);
    } catch (e) {
      if (!(e instanceof CanonicalJsonError)) throw e;
      throw badJson(`Event content must be canonical JSON (integers only): ${e.message}`);
    }
    const { pdu, json, referenceHash } = signed;
    assertAuthorised(pdu, json, state, this.authContext(pdu));
    check?.(pdu, state);
    return { pdu, json, referenceHash, before, state, extremities };
  }

  /**
   * Stores an event received from another server (already signature- and hash-checked by
   * the caller). Auth failures store it as rejected, as Synapse did; it then never enters state.
   */
  persistRemoteEvent(pdu: Pdu, json: string, opts: RemoteEventOptions): PersistedEvent {
    const ev = this.storage.transaction(() => this.storeRemote(pdu, json, opts, null).ev);
    if (!ev.outlier) this.runAfterCommit(ev);
    return ev;
  }

  /**
   * The body of persistRemoteEvent, inside a transaction. `prior`: the event stored just before
   * in the same batch; when it is the event's only prev event, the state after it is the state
   * before this one (what stateAt.fromPrevEvents would read back from SQLite).
   */
  private storeRemote(pdu: Pdu, json: string, opts: RemoteEventOptions, prior: Stored | null): { ev: PersistedEvent; stored: Stored | null } {
    // Federation keeps the general path; the next local send rebuilds the room's cached state.
    if (!opts.outlier) this.roomState.delete(pdu.room_id);
    const existing = this.storage.events.getEvent(pdu.event_id);
    if (existing && !(existing.outlier && !opts.outlier)) return { ev: this.persistedFromRow(existing), stored: null };
    const outlier = !!opts.outlier;
    let before: { ids: StateIds; group: number | null } | null = null;
    let state: StateMap<Pdu>;
    if (outlier) {
      state = this.stateAt.fromAuthEvents(pdu);
    } else {
      const follows = prior !== null && prior.after !== null && prior.groupAfter !== null && !prior.ev.outlier
        && pdu.prev_events.length === 1 && pdu.prev_events[0]![0] === prior.ev.pdu.event_id;
      before = opts.stateBefore
        ? { ids: opts.stateBefore, group: this.storage.state.createGroup(pdu.room_id, opts.stateBefore, null) }
        : follows ? { ids: prior.after!, group: prior.groupAfter } : this.stateAt.fromPrevEvents(pdu);
      state = before ? this.loader.stateEvents(before.ids) : this.stateAt.fromAuthEvents(pdu);
    }
    let rejected: string | null = null;
    try {
      checkEventSize(pdu);
      checkEventAuth(pdu, state, this.authContext(pdu));
      this.checkFirstCreate(pdu);
    } catch (e) {
      // Only the rules' verdict makes a rejection; anything else is a bug or a fault and
      // propagates (the transaction rolls back, nothing is stored, the caller logs it).
      if (!(e instanceof AuthError)) throw e;
      rejected = e.message || 'auth error';
    }
    if (existing) {
      // An outlier (e.g. from an auth chain) now joins the timeline.
      return { ev: this.promoteOutlier(existing, pdu, before, rejected, opts), stored: null };
    }
    const stored = this.store(pdu, json, computeReferenceHash(pdu), {
      stateSupplied: !!opts.stateBefore, before, outlier, backfilled: !!opts.backfilled, rejected, ageTs: opts.ageTs, hashMismatch: !!opts.hashMismatch,
    });
    return { ev: stored.ev, stored };
  }

  /**
   * Several remote events (a federation transaction's run of one room) in ONE SQLite transaction,
   * in order, each exactly as persistRemoteEvent would store it (same auth and rejection rules),
   * each in its own savepoint: an event that fails with a fault rolls back alone and its Error
   * takes its place in the result. `ready(pdu)` is asked inside the transaction just before each
   * event (so it sees the events stored before it); false stops the batch there and the result
   * is shorter than `list`: the caller handles the rest another way. After-commit listeners run
   * once the transaction has committed, in order.
   */
  persistRemoteEvents(list: readonly { pdu: Pdu; json: string; opts: RemoteEventOptions }[], ready: (pdu: Pdu) => boolean): (PersistedEvent | Error)[] {
    const out = this.storage.transaction(() => {
      const results: (PersistedEvent | Error)[] = [];
      let prior: Stored | null = null;
      for (const { pdu, json, opts } of list) {
        if (!ready(pdu)) break;
        try {
          const r = this.storage.transaction(() => this.storeRemote(pdu, json, opts, prior));
          prior = r.stored;
          results.push(r.ev);
        } catch (e) {
          prior = null;
          if (!opts.outlier) this.roomState.delete(pdu.room_id);
          results.push(e instanceof Error ? e : new Error(String(e)));
        }
      }
      return results;
    });
    for (const r of out) if (!(r instanceof Error) && !r.outlier) this.runAfterCommit(r);
    return out;
  }

  private store(
    pdu: Pdu, json: string, referenceHash: string,
    o: {
      before: { ids: StateIds; group: number | null } | null; outlier: boolean; backfilled: boolean; rejected: string | null; ageTs: number;
      hashMismatch: boolean; stateSupplied?: boolean;
      /** A new local event: the room's forward extremities it was built on (all its prev_events). */
      localExtremities?: string[];
    },
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
      pdu.auth_events.map((a) => a[0]),
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

  private promoteOutlier(
    row: EventRow, pdu: Pdu, before: { ids: StateIds; group: number | null } | null, rejected: string | null, opts: RemoteEventOptions,
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

  /** The event a redaction targets, when we hold it: the auth rules compare its sender's server. */
  private authContext(pdu: Pdu): AuthContext {
    if (pdu.type !== 'm.room.redaction' || typeof pdu.redacts !== 'string') return {};
    return { redacted: this.loader.pdu(pdu.redacts) };
  }

  /** A room has one create event: another one, even from the room's own server, is rejected. */
  private checkFirstCreate(pdu: Pdu): void {
    if (pdu.type !== 'm.room.create') return;
    if (this.storage.events.createEventIds(pdu.room_id).some((id) => id !== pdu.event_id)) {
      throw forbid('The room already has a create event');
    }
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

  private referenceHash(row: EventRow): string {
    return row.reference_hash ?? this.loader.referenceHash(this.loader.fromRow(row));
  }

  private persistedFromRow(row: EventRow): PersistedEvent {
    return {
      pdu: this.loader.fromRow(row), streamOrdering: row.stream_ordering, outlier: !!row.outlier, backfilled: (row.stream_ordering ?? 0) < 0,
      rejected: row.rejected_reason, stateBefore: null, currentState: null, ageTs: row.age_ts,
    };
  }

  private runAfterCommit(ev: PersistedEvent): void {
    for (const h of this.afterCommit) {
      try {
        h(ev, this);
      } catch {
        // A listener's failure must not fail a committed write; listeners log their own errors.
      }
    }
  }
}

function assertAuthorised(pdu: Pdu, json: string, state: StateMap<Pdu>, ctx: AuthContext): void {
  try {
    checkEventSize(pdu, json);
    checkEventAuth(pdu, state, ctx);
  } catch (e) {
    throw e instanceof AuthError ? matrixErrorOf(e) : e;
  }
}
