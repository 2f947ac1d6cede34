// The receiving pipeline for PDUs (federation-v1.md §7): checked PDUs are processed one room at a
// time; missing prev_events are fetched with get_missing_events, then /state if still missing;
// missing auth events with /event_auth. Everything is stored through EventPersister.
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { EventPersister, PersistedEvent } from '../rooms/persist.js';
import type { StateIds } from '../storage/state.js';
import { topLevelArrayElements } from '../crypto/index.js';
import { isValidUserId, serverOf, stateKey, type Pdu } from '../events/index.js';
import { FederationClient, pathSegment } from './client.js';
import type { Keyring } from './keyring.js';
import { checkPduText, type CheckedPdu } from './pdu-check.js';
import type { RoomLocks } from '../rooms/room-locks.js';

const MISSING_EVENTS_LIMIT = 10;

export interface ProcessOptions {
  /** Ask the origin for missing prev_events before falling back to /state. */
  fetchMissing: boolean;
  backfilled?: boolean;
  /** Called inside the write, before hooks run (send_join marks the join for fan-out). */
  beforePersist?: (pdu: Pdu) => void;
}

export class InboundPdus {
  get locks(): RoomLocks { return this.persister.locks; }

  constructor(
    private readonly storage: Storage,
    private readonly persister: EventPersister,
    private readonly serverName: string,
    private readonly clock: () => number,
    private readonly log: Logger,
    private readonly client: FederationClient,
    private readonly keyring: Keyring,
  ) {}

  /** Checks texts of PDUs from a response; those failing checks are dropped (and logged). */
  async checkAll(texts: string[], roomId: string): Promise<CheckedPdu[]> {
    const out: CheckedPdu[] = [];
    for (const t of texts) {
      try {
        const c = await checkPduText(t, this.keyring, this.clock());
        if (c.pdu.room_id === roomId) out.push(c);
      } catch (err) {
        this.log.warn({ roomId, err: (err as Error).message }, 'dropped a PDU that failed checks');
      }
    }
    return out;
  }

  /** Stores events (auth chains, state) as outliers, oldest first; each is authorised by its own auth_events. */
  persistOutliers(list: CheckedPdu[]): void {
    const sorted = [...list].sort((a, b) => a.pdu.depth - b.pdu.depth);
    for (const c of sorted) {
      if (this.storage.events.hasEvent(c.pdu.event_id)) continue;
      this.persister.persistRemoteEvent(c.pdu, c.json, { outlier: true, ageTs: c.ageTs, hashMismatch: c.hashMismatch });
    }
  }

  /**
   * Must run inside `locks.run(roomId)`. The leading PDUs of `list` that need nothing from the
   * network (already stored, or every prev event held with its state) stored together in ONE
   * SQLite transaction, as `process` would store each. Returns their outcomes (a PersistedEvent,
   * or the Error that failed it): shorter than `list` when a PDU needs fetching; `process` that one.
   */
  persistReady(list: readonly CheckedPdu[]): (PersistedEvent | Error)[] {
    return this.persister.persistRemoteEvents(
      list.map((c) => ({ pdu: c.pdu, json: c.json, opts: { ageTs: c.ageTs, hashMismatch: c.hashMismatch } })),
      (pdu) => {
        const existing = this.storage.events.getEvent(pdu.event_id);
        return (existing !== undefined && !existing.outlier) || this.prevsKnown(pdu);
      },
    );
  }

  /** Must run inside `locks.run(roomId)`. */
  async process(origin: string, c: CheckedPdu, opts: ProcessOptions): Promise<PersistedEvent> {
    const { pdu } = c;
    const existing = this.storage.events.getEvent(pdu.event_id);
    if (existing && !existing.outlier) return this.persister.persistRemoteEvent(pdu, c.json, { ageTs: c.ageTs });
    if (opts.backfilled) {
      await this.ensureAuthEvents(origin, pdu);
      return this.persister.persistRemoteEvent(pdu, c.json, { backfilled: true, ageTs: c.ageTs, hashMismatch: c.hashMismatch });
    }
    let stateBefore: StateIds | undefined;
    if (!this.prevsKnown(pdu)) {
      if (opts.fetchMissing) await this.fetchMissing(origin, pdu);
      if (!this.prevsKnown(pdu)) {
        try {
          stateBefore = await this.stateAt(origin, pdu.room_id, pdu.event_id);
        } catch (err) {
          // A server not in the room may not read its state, yet must learn that its user's
          // invite was withdrawn (or that they were kicked): judge such an event by its auth events.
          if (!this.targetsOurUser(pdu)) throw err;
          stateBefore = await this.authEventsAsState(origin, pdu);
        }
      }
    }
    opts.beforePersist?.(pdu);
    return this.persister.persistRemoteEvent(pdu, c.json, { ageTs: c.ageTs, hashMismatch: c.hashMismatch, stateBefore });
  }

  private targetsOurUser(pdu: Pdu): boolean {
    return pdu.type === 'm.room.member' && isValidUserId(pdu.state_key) && serverOf(pdu.state_key) === this.serverName;
  }

  private async authEventsAsState(origin: string, pdu: Pdu): Promise<StateIds> {
    await this.ensureAuthEvents(origin, pdu);
    const ids: StateIds = new Map();
    for (const ev of this.persister.stateAt.fromAuthEvents(pdu).values()) ids.set(stateKey(ev.type, ev.state_key!), ev.event_id);
    return ids;
  }

  /** Every prev_event is in our timeline with a known state. */
  private prevsKnown(pdu: Pdu): boolean {
    if (pdu.prev_events.length === 0) return pdu.type === 'm.room.create';
    return pdu.prev_events.every(([id]) => {
      const row = this.storage.events.getEvent(id);
      return row !== undefined && !row.outlier && row.state_group !== null;
    });
  }

  private async fetchMissing(origin: string, pdu: Pdu): Promise<void> {
    try {
      const res = await this.client.requestOk(origin, 'POST', `/_matrix/federation/v1/get_missing_events/${pathSegment(pdu.room_id)}`, {
        body: {
          earliest_events: this.storage.events.forwardExtremities(pdu.room_id),
          latest_events: [pdu.event_id],
          limit: MISSING_EVENTS_LIMIT,
          min_depth: 0,
        },
      });
      const texts = topLevelArrayElements(res.text, 'events') ?? [];
      const found = (await this.checkAll(texts, pdu.room_id)).sort((a, b) => a.pdu.depth - b.pdu.depth);
      for (const m of found) {
        if (m.pdu.event_id === pdu.event_id) continue;
        await this.process(origin, m, { fetchMissing: false });
      }
    } catch (err) {
      this.log.info({ origin, eventId: pdu.event_id, err: (err as Error).message }, 'get_missing_events failed');
    }
  }

  /** The state before an event, from /state of `origin`; its events are stored as outliers. */
  async stateAt(origin: string, roomId: string, eventId: string): Promise<StateIds> {
    const res = await this.client.requestOk(
      origin, 'GET', `/_matrix/federation/v1/state/${pathSegment(roomId)}/?event_id=${encodeURIComponent(eventId)}`,
    );
    const state = await this.checkAll(topLevelArrayElements(res.text, 'pdus') ?? [], roomId);
    const chain = await this.checkAll(topLevelArrayElements(res.text, 'auth_chain') ?? [], roomId);
    this.persistOutliers([...chain, ...state]);
    return this.stateIds(state);
  }

  /** (type, state_key) -> event id of state events we hold and did not reject. */
  stateIds(list: CheckedPdu[]): StateIds {
    const ids: StateIds = new Map();
    for (const { pdu } of list) {
      if (pdu.state_key === undefined) continue;
      const row = this.storage.events.getEvent(pdu.event_id);
      if (row && !row.rejected_reason) ids.set(stateKey(pdu.type, pdu.state_key), pdu.event_id);
    }
    return ids;
  }

  /** Fetches the auth chain of an event whose auth_events we lack (needed to judge outliers and backfill). */
  async ensureAuthEvents(origin: string, pdu: Pdu): Promise<void> {
    if (pdu.auth_events.every(([id]) => this.storage.events.hasEvent(id))) return;
    try {
      const res = await this.client.requestOk(
        origin, 'GET', `/_matrix/federation/v1/event_auth/${pathSegment(pdu.room_id)}/${pathSegment(pdu.event_id)}`,
      );
      this.persistOutliers(await this.checkAll(topLevelArrayElements(res.text, 'auth_chain') ?? [], pdu.room_id));
    } catch (err) {
      this.log.info({ origin, eventId: pdu.event_id, err: (err as Error).message }, 'event_auth failed');
    }
  }
}
