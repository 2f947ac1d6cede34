import type { Db } from './db.js';

export interface EventRow {
  event_id: string;
  stream_ordering: number | null;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  depth: number;
  origin_server_ts: number;
  received_ts: number;
  age_ts: number;
  json: string;
  outlier: number;
  rejected_reason: string | null;
  redacted_by: string | null;
  hash_mismatch: number;
  state_group_before: number | null;
  state_group: number | null;
  /** NULL for rows stored before migration 0021 until first used. */
  reference_hash: string | null;
}

export type NewEventRow = Omit<EventRow, 'redacted_by' | 'reference_hash'> & { redacted_by?: string | null; reference_hash?: string | null };

export class EventsStore {
  private readonly insert;
  private readonly select;
  private readonly selectRefHash;
  private readonly updateRefHash;
  private readonly insertEdge;
  private readonly selectPrevIds;
  private readonly selectAuthIds;
  private readonly selectExtremities;
  private readonly deleteExtremity;
  private readonly insertExtremity;
  private readonly insertBackwardExt;
  private readonly deleteBackwardExt;
  private readonly selectBackwardExt;
  private readonly insertRedaction;
  private readonly selectRedactionsOf;
  private readonly markRedacted;
  private readonly createIds;
  private readonly streamRange;
  private readonly topoBackward;
  private readonly topoForward;
  private readonly maxStream;
  private readonly minStream;
  private readonly upgradeOutlierStmt;
  private readonly hasChildStmt;
  private readonly userStream;
  private readonly allStream;
  private readonly latestAtStmt;
  private readonly latestStmt;
  private readonly streamRangeDesc;
  private readonly latestRowAt;
  private readonly memberChanges;
  private streamPos: number;
  private backfillPos: number;

  constructor(db: Db) {
    this.insert = db.prepare(`INSERT INTO events (event_id, stream_ordering, room_id, type, state_key, sender, depth,
      origin_server_ts, received_ts, age_ts, json, outlier, rejected_reason, redacted_by, hash_mismatch,
      state_group_before, state_group, reference_hash) VALUES (@event_id, @stream_ordering, @room_id, @type, @state_key, @sender,
      @depth, @origin_server_ts, @received_ts, @age_ts, @json, @outlier, @rejected_reason, @redacted_by,
      @hash_mismatch, @state_group_before, @state_group, @reference_hash)`);
    this.selectRefHash = db.prepare('SELECT reference_hash FROM events WHERE event_id = ?');
    this.updateRefHash = db.prepare('UPDATE events SET reference_hash = ? WHERE event_id = ? AND reference_hash IS NULL');
    this.select = db.prepare('SELECT * FROM events WHERE event_id = ?');
    this.insertEdge = db.prepare('INSERT OR IGNORE INTO event_edges (event_id, prev_event_id, room_id) VALUES (?, ?, ?)');
    this.selectPrevIds = db.prepare('SELECT prev_event_id FROM event_edges WHERE event_id = ?');
    // From the stored event itself (migration 0022 dropped the event_auth copy): only auth chains read it.
    this.selectAuthIds = db.prepare(`SELECT DISTINCT json_extract(a.value, '$[0]') AS auth_event_id
      FROM events e, json_each(CASE WHEN json_valid(e.json) THEN e.json ELSE '{}' END, '$.auth_events') a WHERE e.event_id = ? AND json_type(a.value, '$[0]') = 'text'`);
    this.selectExtremities = db.prepare('SELECT event_id FROM event_forward_extremities WHERE room_id = ?');
    this.deleteExtremity = db.prepare('DELETE FROM event_forward_extremities WHERE room_id = ? AND event_id = ?');
    this.insertExtremity = db.prepare('INSERT OR IGNORE INTO event_forward_extremities (room_id, event_id) VALUES (?, ?)');
    this.insertBackwardExt = db.prepare('INSERT OR IGNORE INTO event_backward_extremities (room_id, event_id) VALUES (?, ?)');
    this.deleteBackwardExt = db.prepare('DELETE FROM event_backward_extremities WHERE event_id = ?');
    this.selectBackwardExt = db.prepare('SELECT event_id FROM event_backward_extremities WHERE room_id = ?');
    this.insertRedaction = db.prepare('INSERT OR IGNORE INTO redactions (event_id, redacts) VALUES (?, ?)');
    this.selectRedactionsOf = db.prepare('SELECT event_id FROM redactions WHERE redacts = ?');
    this.markRedacted = db.prepare('UPDATE events SET redacted_by = ? WHERE event_id = ? AND redacted_by IS NULL');
    this.createIds = db.prepare(`SELECT event_id FROM events WHERE room_id = ? AND type = 'm.room.create' AND rejected_reason IS NULL`);
    this.streamRange = db.prepare(`SELECT * FROM events WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ?
      AND outlier = 0 AND rejected_reason IS NULL ORDER BY stream_ordering LIMIT ?`);
    this.topoBackward = db.prepare(`SELECT * FROM events WHERE room_id = ? AND outlier = 0 AND rejected_reason IS NULL
      AND stream_ordering IS NOT NULL AND (depth < @depth OR (depth = @depth AND stream_ordering < @stream))
      ORDER BY depth DESC, stream_ordering DESC LIMIT @limit`);
    this.topoForward = db.prepare(`SELECT * FROM events WHERE room_id = ? AND outlier = 0 AND rejected_reason IS NULL
      AND stream_ordering IS NOT NULL AND (depth > @depth OR (depth = @depth AND stream_ordering > @stream))
      ORDER BY depth ASC, stream_ordering ASC LIMIT @limit`);
    this.maxStream = db.prepare('SELECT max(stream_ordering) AS m FROM events');
    this.minStream = db.prepare('SELECT min(stream_ordering) AS m FROM events');
    this.upgradeOutlierStmt = db.prepare(`UPDATE events SET outlier = 0, stream_ordering = ?, state_group_before = ?,
      state_group = ?, rejected_reason = ? WHERE event_id = ?`);
    this.hasChildStmt = db.prepare('SELECT 1 FROM event_edges WHERE prev_event_id = ? LIMIT 1');
    // Events of rooms the user is joined to now, plus membership events about the user (invites, kicks).
    this.userStream = db.prepare(`SELECT * FROM events WHERE stream_ordering > @from AND stream_ordering <= @to
      AND outlier = 0 AND rejected_reason IS NULL AND (
        room_id IN (SELECT room_id FROM current_state_events WHERE type = 'm.room.member' AND state_key = @user AND membership = 'join')
        OR (type = 'm.room.member' AND state_key = @user))
      ORDER BY stream_ordering LIMIT @limit`);
    this.allStream = db.prepare(`SELECT * FROM events WHERE stream_ordering > ? AND stream_ordering <= ?
      AND outlier = 0 AND rejected_reason IS NULL ORDER BY stream_ordering LIMIT ?`);
    this.latestAtStmt = db.prepare(`SELECT depth, stream_ordering FROM events WHERE room_id = ? AND outlier = 0
      AND stream_ordering IS NOT NULL AND stream_ordering <= ? ORDER BY stream_ordering DESC LIMIT 1`);
    this.latestStmt = db.prepare(`SELECT depth, stream_ordering FROM events WHERE room_id = ? AND outlier = 0
      AND stream_ordering IS NOT NULL ORDER BY depth DESC, stream_ordering DESC LIMIT 1`);
    this.streamRangeDesc = db.prepare(`SELECT * FROM events WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ?
      AND outlier = 0 AND rejected_reason IS NULL ORDER BY stream_ordering DESC LIMIT ?`);
    this.latestRowAt = db.prepare(`SELECT * FROM events WHERE room_id = ? AND outlier = 0 AND rejected_reason IS NULL
      AND stream_ordering IS NOT NULL AND stream_ordering <= ? ORDER BY stream_ordering DESC LIMIT 1`);
    this.memberChanges = db.prepare(`SELECT * FROM events WHERE type = 'm.room.member' AND state_key = ? AND stream_ordering > ?
      AND stream_ordering <= ? AND outlier = 0 AND rejected_reason IS NULL ORDER BY stream_ordering`);
    this.streamPos = (this.maxStream.get() as { m: number | null }).m ?? 0;
    if (this.streamPos < 0) this.streamPos = 0;
    this.backfillPos = Math.min(0, (this.minStream.get() as { m: number | null }).m ?? 0);
  }

  /** The live stream position of the newest event. */
  currentStreamOrdering(): number {
    return this.streamPos;
  }

  /** Allocates the next live position; call inside the transaction that inserts the event. */
  allocateStreamOrdering(): number {
    return ++this.streamPos;
  }

  /** Backfilled history gets decreasing negative positions so it never shows up as "new". */
  allocateBackfillOrdering(): number {
    return --this.backfillPos;
  }

  /** The event row and its prev_events edges (its auth_events are read from its JSON). */
  insertEvent(row: NewEventRow, prevEventIds: string[]): void {
    this.insert.run({ redacted_by: null, reference_hash: null, ...row });
    for (const p of prevEventIds) this.insertEdge.run(row.event_id, p, row.room_id);
  }

  /** An event first stored as an outlier (e.g. from an auth chain) later joins the room's timeline. */
  upgradeOutlier(eventId: string, streamOrdering: number, groupBefore: number | null, groupAfter: number | null, rejected: string | null): void {
    this.upgradeOutlierStmt.run(streamOrdering, groupBefore, groupAfter, rejected, eventId);
  }

  getEvent(eventId: string): EventRow | undefined {
    return this.select.get(eventId) as EventRow | undefined;
  }

  /** The stored reference hash: undefined for an unknown event, null when not computed yet. */
  referenceHash(eventId: string): string | null | undefined {
    return (this.selectRefHash.get(eventId) as { reference_hash: string | null } | undefined)?.reference_hash;
  }

  /** Fills in the reference hash of a row stored before it was kept. */
  setReferenceHash(eventId: string, hash: string): void {
    this.updateRefHash.run(hash, eventId);
  }

  hasEvent(eventId: string): boolean {
    return this.select.get(eventId) !== undefined;
  }

  prevEventIds(eventId: string): string[] {
    return (this.selectPrevIds.all(eventId) as { prev_event_id: string }[]).map((r) => r.prev_event_id);
  }

  authEventIds(eventId: string): string[] {
    return (this.selectAuthIds.all(eventId) as { auth_event_id: string }[]).map((r) => r.auth_event_id);
  }

  hasChildren(eventId: string): boolean {
    return this.hasChildStmt.get(eventId) !== undefined;
  }

  forwardExtremities(roomId: string): string[] {
    return (this.selectExtremities.all(roomId) as { event_id: string }[]).map((r) => r.event_id);
  }

  /**
   * The new event replaces its prev_events as a forward extremity. `isNew`: an event just made
   * here, which nothing can cite yet (no need to look for children).
   */
  updateForwardExtremities(roomId: string, eventId: string, prevEventIds: string[], isNew = false): void {
    for (const p of prevEventIds) this.deleteExtremity.run(roomId, p);
    // An event that arrives after one of its children (late, via get_missing_events) is not a leaf.
    if (isNew || !this.hasChildren(eventId)) this.insertExtremity.run(roomId, eventId);
  }

  addBackwardExtremity(roomId: string, eventId: string): void {
    this.insertBackwardExt.run(roomId, eventId);
  }

  removeBackwardExtremity(eventId: string): void {
    this.deleteBackwardExt.run(eventId);
  }

  backwardExtremities(roomId: string): string[] {
    return (this.selectBackwardExt.all(roomId) as { event_id: string }[]).map((r) => r.event_id);
  }

  recordRedaction(redactionId: string, redacts: string): void {
    this.insertRedaction.run(redactionId, redacts);
    this.markRedacted.run(redactionId, redacts);
  }

  /** The room's create events not rejected (one, or none before we hold it). */
  createEventIds(roomId: string): string[] {
    return (this.createIds.all(roomId) as { event_id: string }[]).map((r) => r.event_id);
  }

  /** Redactions that arrived before the event they target. */
  redactionsOf(eventId: string): string[] {
    return (this.selectRedactionsOf.all(eventId) as { event_id: string }[]).map((r) => r.event_id);
  }

  roomEventsInStreamRange(roomId: string, fromExclusive: number, toInclusive: number, limit: number): EventRow[] {
    return this.streamRange.all(roomId, fromExclusive, toInclusive, limit) as EventRow[];
  }

  /** What a user's event stream shows between two live positions. */
  userStreamEvents(userId: string, fromExclusive: number, toInclusive: number, limit: number): EventRow[] {
    return this.userStream.all({ user: userId, from: fromExclusive, to: toInclusive, limit }) as EventRow[];
  }

  /** Every room's new events between two live positions (an application service's stream). */
  streamEvents(fromExclusive: number, toInclusive: number, limit: number): EventRow[] {
    return this.allStream.all(fromExclusive, toInclusive, limit) as EventRow[];
  }

  /** Topological position of the newest timeline event at or before a live stream position. */
  positionAt(roomId: string, stream: number | null): { depth: number; stream: number } | undefined {
    const row = (stream === null ? this.latestStmt.get(roomId) : this.latestAtStmt.get(roomId, stream)) as
      | { depth: number; stream_ordering: number }
      | undefined;
    return row ? { depth: row.depth, stream: row.stream_ordering } : undefined;
  }

  /** Timeline in topological order, strictly before/after (depth, stream) — for /messages. */
  roomEventsTopological(roomId: string, depth: number, stream: number, dir: 'b' | 'f', limit: number): EventRow[] {
    const stmt = dir === 'b' ? this.topoBackward : this.topoForward;
    return stmt.all(roomId, { depth, stream, limit }) as EventRow[];
  }

  /** A room's timeline between two live positions, newest first (/sync reads back from now). */
  roomEventsNewestFirst(roomId: string, fromExclusive: number, toInclusive: number, limit: number): EventRow[] {
    return this.streamRangeDesc.all(roomId, fromExclusive, toInclusive, limit) as EventRow[];
  }

  /** The newest timeline event of a room at or before a live position (its state_group is the state then). */
  latestEventAt(roomId: string, stream: number): EventRow | undefined {
    return this.latestRowAt.get(roomId, stream) as EventRow | undefined;
  }

  /** The user's membership events between two live positions, oldest first. */
  membershipChanges(userId: string, fromExclusive: number, toInclusive: number): EventRow[] {
    return this.memberChanges.all(userId, fromExclusive, toInclusive) as EventRow[];
  }
}
