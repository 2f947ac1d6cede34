// Joining rooms over federation (federation-v1.md §4): the resident side (make_join, send_join)
// and the joining side (RemoteRooms.joinRemoteRoom).
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { EventPersister } from '../rooms/persist.js';
import { joinContentOf } from '../rooms/room-service.js';
import type { SigningKey } from '../crypto/index.js';
import type { StateIds } from '../storage/state.js';
import { canonicalJson, topLevelArrayElements } from '../crypto/index.js';
import {
  hashAndSignEvent, isJsonObject, isValidDepth, isValidUserId, makeEventId, serverOf, stateKey, type JsonObject, type Pdu,
} from '../events/index.js';
import { MatrixError, badJson, forbidden, notFound } from '../errors.js';
import { FederationClient, PeerRequestError, PeerUnreachableError, pathSegment } from './client.js';
import type { EventGraph } from './event-graph.js';
import type { InboundPdus } from './inbound.js';
import type { Outbound } from './outbound.js';
import { checkPdu, checkUnsignedJoin, PduRejected } from './pdu-check.js';
import type { Keyring } from './keyring.js';
import { unwrapV1, wrapV1 } from './v1-wrapping.js';
import { randomLetters } from '../random.js';

const FED = '/_matrix/federation/v1';

/** What the federation classes that store events use. */
export interface FederationEnv {
  storage: Storage;
  persister: EventPersister;
  serverName: string;
  signingKey: SigningKey;
  clock: () => number;
  log: Logger;
}

export class Joins {
  private readonly storage: Storage;
  private readonly persister: EventPersister;
  private readonly serverName: string;
  private readonly signingKey: SigningKey;
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(
    env: FederationEnv,
    private readonly client: FederationClient,
    private readonly keyring: Keyring,
    private readonly inbound: InboundPdus,
    private readonly outbound: Outbound,
    private readonly graph: EventGraph,
  ) {
    ({ storage: this.storage, persister: this.persister, serverName: this.serverName, signingKey: this.signingKey, clock: this.clock, log: this.log } = env);
  }

  // GET /make_join/{roomId}/{userId}: a signed template, checked against current state, not stored.
  makeJoin(origin: string, roomId: string, userId: string): JsonObject {
    if (!isValidUserId(userId) || serverOf(userId) !== origin) throw forbidden('User is not from the requesting server.');
    if (this.storage.events.forwardExtremities(roomId).length === 0) throw notFound('Unknown room');
    const pdu = this.persister.buildLocalEvent({
      type: 'm.room.member', room_id: roomId, sender: userId, state_key: userId, content: { membership: 'join' },
    });
    return { event: { ...pdu, unsigned: { age: 0 } } };
  }

  // PUT /send_join/{roomId}/{eventId}: persist the join, pass it on, answer with the room's state.
  async sendJoin(origin: string, roomId: string, eventId: string, body: unknown, rawBody: string): Promise<string> {
    let c;
    try {
      c = checkUnsignedJoin(body, origin, this.clock()) ?? await checkPdu(rawBody, body, this.keyring, this.clock());
    } catch (err) {
      if (err instanceof PduRejected) throw forbidden(`Join event rejected: ${err.message}`);
      throw err;
    }
    const { pdu } = c;
    const membership = (pdu.content as JsonObject).membership;
    if (pdu.event_id !== eventId || pdu.room_id !== roomId) throw badJson('Event does not match the path');
    if (pdu.type !== 'm.room.member' || membership !== 'join' || pdu.state_key !== pdu.sender) throw badJson('Not a join event');
    if (serverOf(pdu.sender) !== origin) throw forbidden('Joining user is not from the requesting server.');
    if (this.storage.events.forwardExtremities(roomId).length === 0) throw notFound('Unknown room');
    const ev = await this.inbound.locks.run(roomId, () =>
      this.inbound.process(origin, c, { fetchMissing: true, beforePersist: (p) => this.outbound.relayFrom(p.event_id, origin) }),
    );
    if (ev.rejected) throw forbidden(`Join not allowed: ${ev.rejected}`);
    const state = this.storage.state.currentState(roomId);
    const now = this.clock();
    const stateRows = this.graph.rows(state.values());
    const chain = this.graph.authChain([...state.values(), eventId]);
    return wrapV1(`{"state":${this.graph.renderList(stateRows, now)},"auth_chain":${this.graph.renderList(chain, now)}}`);
  }

  /** RemoteRooms.joinRemoteRoom: make_join -> sign -> send_join through the first server that works. */
  async joinRemoteRoom(roomId: string, userId: string, servers: string[]): Promise<void> {
    let lastError: unknown = notFound('No server could be reached to join the room');
    for (const server of servers.filter((s) => s !== this.serverName)) {
      try {
        // Holding the room's lock for the whole handshake: events the resident sends us meanwhile
        // wait until we have the room's state, instead of being refused as "not in room".
        await this.inbound.locks.run(roomId, () => this.joinVia(server, roomId, userId));
        this.log.info({ server, roomId, userId }, `${userId} joined ${roomId} through ${server}`);
        return;
      } catch (err) {
        lastError = err;
        this.log.info({ server, roomId, err: (err as Error).message }, `remote join of ${roomId} through ${server} failed: ${(err as Error).message}`);
      }
    }
    throw toMatrixError(lastError);
  }

  private async joinVia(server: string, roomId: string, userId: string): Promise<void> {
    const made = await this.client.requestOk(server, 'GET', `${FED}/make_join/${pathSegment(roomId)}/${pathSegment(userId)}`);
    const template = isJsonObject(made.json) && isJsonObject(made.json.event) ? made.json.event : null;
    if (!template || template.type !== 'm.room.member' || template.sender !== userId || template.state_key !== userId || template.room_id !== roomId) {
      throw new Error(`make_join from ${server} returned an unusable template`);
    }
    if (!Array.isArray(template.prev_events) || !Array.isArray(template.auth_events) || !isValidDepth(template.depth)) {
      throw new Error(`make_join from ${server} returned an incomplete template`);
    }
    const now = this.clock();
    const join = hashAndSignEvent({
      auth_events: template.auth_events,
      content: joinContentOf(this.storage, userId),
      depth: template.depth,
      event_id: makeEventId(this.serverName, now, 0, randomLetters(5)),
      hashes: { sha256: '' },
      origin: this.serverName,
      origin_server_ts: now,
      prev_events: template.prev_events,
      prev_state: Array.isArray(template.prev_state) ? template.prev_state : [],
      room_id: roomId,
      sender: userId,
      signatures: {},
      state_key: userId,
      type: 'm.room.member',
    } as unknown as Pdu, this.serverName, this.signingKey);
    const sent = await this.client.requestOk(server, 'PUT', `${FED}/send_join/${pathSegment(roomId)}/${pathSegment(join.event_id)}`, { body: join });
    const inner = unwrapV1(sent.text);
    const state = (await this.inbound.checkAll(topLevelArrayElements(inner, 'state') ?? [], roomId)).filter((c) => c.pdu.event_id !== join.event_id);
    const chain = await this.inbound.checkAll(topLevelArrayElements(inner, 'auth_chain') ?? [], roomId);
    const create = state.find((c) => c.pdu.type === 'm.room.create')?.pdu;
    if (!create) throw new Error(`send_join to ${server} returned no room state`);
    this.storage.rooms.createRoom(roomId, String((create.content as JsonObject).creator ?? create.sender), false, now);
    this.inbound.persistOutliers([...chain, ...state]);
    const before: StateIds = this.inbound.stateIds(state);
    // The returned state is after our join; before it stands whatever we knew (an invite) or nothing.
    const mine = this.storage.state.currentStateEventId(roomId, 'm.room.member', userId);
    if (mine) before.set(stateKey('m.room.member', userId), mine);
    else before.delete(stateKey('m.room.member', userId));
    this.outbound.alreadyHeldBy(join.event_id, server);
    const ev = this.persister.persistRemoteEvent(join, canonicalJson(join), { stateBefore: before, ageTs: now });
    if (ev.rejected) throw forbidden(`Join rejected: ${ev.rejected}`);
    this.markHistoryGaps(roomId, join);
  }

  /** prev_events we hold only as outliers (state) are still gaps in the timeline: backfill starts there. */
  private markHistoryGaps(roomId: string, pdu: Pdu): void {
    for (const [id] of pdu.prev_events) {
      const row = this.storage.events.getEvent(id);
      if (!row || row.outlier) this.storage.events.addBackwardExtremity(roomId, id);
    }
  }
}

export function toMatrixError(err: unknown): MatrixError {
  if (err instanceof MatrixError) return err;
  if (err instanceof PeerRequestError) {
    const j = err.response.json;
    const msg = isJsonObject(j) && typeof j.error === 'string' ? j.error : err.message;
    const code = isJsonObject(j) && typeof j.errcode === 'string' ? j.errcode : 'M_UNKNOWN';
    if (err.status === 403 || err.status === 404 || err.status === 400) return new MatrixError(err.status, code, msg);
    return new MatrixError(502, 'M_UNKNOWN', msg);
  }
  // Socket errors (ECONNREFUSED, ENOTFOUND, addresses) stay in our logs, never in an answer.
  if (err instanceof PeerUnreachableError) return new MatrixError(502, 'M_UNKNOWN', err.publicMessage);
  return new MatrixError(502, 'M_UNKNOWN', (err as Error)?.message ?? 'Remote server failed');
}
