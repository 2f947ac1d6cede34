// The single write path for every event, local or federated: auth -> store -> notify -> fan out.
import type { Storage } from '../storage/index.js';
import type { EventRow } from '../storage/events.js';
import type { StateIds } from '../storage/state.js';
import type { Pdu, StateMap, EventTemplate, AuthContext } from '../events/index.js';
import {
  stateKey, authEventsFor, buildEvent, computeReferenceHash, checkEventAuth, checkEventSize,
  makeEventId, AuthError, forbid,
} from '../events/index.js';
import { CanonicalJsonError, type SigningKey } from '../crypto/index.js';
import { MatrixError, notFound, badJson, matrixErrorOf } from '../errors.js';
import { signNewEvent } from '../events/sign-new-event.js';
import { EventLoader } from './event-loader.js';
import { RoomLocks } from './room-locks.js';
import { StateAt } from './state-at.js';
import { RoomStateCache } from './room-state-cache.js';
import { randomLetters } from '../random.js';
import { EventWriter, type Before, type Stored, type PersistedEvent, type InTransactionListener } from './event-writer.js';

export type { PersistedEvent, InTransactionListener } from './event-writer.js';
interface Authorised { pdu: Pdu; json: string; referenceHash: string; before: Before; state: StateMap<Pdu>; extremities: string[] }


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

/**
 * Run after commit: wake long-polls, kick senders. A listener that must write events itself
 * (the guest kicker) gets the writer as an argument, and writes after the current commit.
 */
/**
 * Runs after the event's commit. A listener that writes events of its own (a guest's leave)
 * returns their promise: a local request is answered once they are committed too.
 */
export type AfterCommitListener = (ev: PersistedEvent, writer: EventPersister) => void | Promise<unknown>;

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
  /** Stores what passed (or failed) auth: row, state, extremities, redactions. */
  private readonly writer: EventWriter;
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
    this.writer = new EventWriter(storage, this.loader, this.stateAt, clock, [...listeners.inTransaction]);
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
    if (out.fresh) await Promise.all(this.runAfterCommit(out.ev));
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
      const stored = this.writer.store(a.pdu, a.json, a.referenceHash, { before: a.before, outlier: false, backfilled: false, rejected: null, ageTs: now, hashMismatch: false, localExtremities: a.extremities });
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
          const stored = this.writer.store(a.pdu, a.json, a.referenceHash, { before: a.before, outlier: false, backfilled: false, rejected: null, ageTs: now, hashMismatch: false, localExtremities: a.extremities });
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
      return { ev: this.writer.promoteOutlier(existing, pdu, before, rejected, opts), stored: null };
    }
    const stored = this.writer.store(pdu, json, computeReferenceHash(pdu), {
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


  private referenceHash(row: EventRow): string {
    return row.reference_hash ?? this.loader.referenceHash(this.loader.fromRow(row));
  }

  private persistedFromRow(row: EventRow): PersistedEvent {
    return {
      pdu: this.loader.fromRow(row), streamOrdering: row.stream_ordering, outlier: !!row.outlier, backfilled: (row.stream_ordering ?? 0) < 0,
      rejected: row.rejected_reason, stateBefore: null, currentState: null, ageTs: row.age_ts,
    };
  }

  /** Runs the listeners; returns the follow-up writes they started (already guarded against failure). */
  private runAfterCommit(ev: PersistedEvent): Promise<unknown>[] {
    const pending: Promise<unknown>[] = [];
    for (const h of this.afterCommit) {
      try {
        const p = h(ev, this);
        if (p instanceof Promise) pending.push(p.catch(() => undefined));
      } catch {
        // A listener's failure must not fail a committed write; listeners log their own errors.
      }
    }
    return pending;
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
