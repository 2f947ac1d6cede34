// Invites across servers (federation-v1.md §5): we countersign invites for our users, and send
// ours to the invitee's server to be countersigned before we store them.
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.js';
import type { EventPersister } from '../rooms/persist.js';
import type { SigningKey } from '../crypto/index.js';
import { canonicalJson, setTopLevelMember, signJson, topLevelArrayElements } from '../crypto/index.js';
import { isJsonObject, isValidUserId, pruneEvent, serverOf, type JsonObject, type Pdu } from '../events/index.js';
import { badJson, forbidden } from '../errors.js';
import { FederationClient, pathSegment } from './client.js';
import type { InboundPdus } from './inbound.js';
import type { Keyring } from './keyring.js';
import type { Outbound } from './outbound.js';
import { checkPdu, PduRejected, type CheckedPdu } from './pdu-check.js';
import { toMatrixError, type FederationEnv } from './joins.js';
import { unwrapV1, wrapV1 } from './v1-wrapping.js';

const FED = '/_matrix/federation/v1';

export class Invites {
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
  ) {
    ({ storage: this.storage, persister: this.persister, serverName: this.serverName, signingKey: this.signingKey, clock: this.clock, log: this.log } = env);
  }

  /** Our signature over the event's pruned form, merged into its signatures. */
  private countersigned(pdu: Pdu): Record<string, Record<string, string>> {
    const { unsigned: _u, age_ts: _a, ...signable } = pruneEvent(pdu);
    const mine = (signJson(signable, this.serverName, this.signingKey) as { signatures: Record<string, Record<string, string>> })
      .signatures[this.serverName]!;
    return { ...pdu.signatures, [this.serverName]: { ...pdu.signatures[this.serverName], ...mine } };
  }

  // PUT /invite/{roomId}/{eventId}: countersign, store so the invitee sees it, answer [200, {event}].
  async onInvite(origin: string, roomId: string, eventId: string, body: unknown, rawBody: string): Promise<string> {
    let c: CheckedPdu;
    try {
      c = await checkPdu(rawBody, body, this.keyring, this.clock());
    } catch (err) {
      if (err instanceof PduRejected) throw forbidden(`Invite rejected: ${err.message}`);
      throw err;
    }
    const { pdu } = c;
    if (pdu.event_id !== eventId || pdu.room_id !== roomId) throw badJson('Event does not match the path');
    if (pdu.type !== 'm.room.member' || (pdu.content as JsonObject).membership !== 'invite') throw badJson('Not an invite event');
    if (!isValidUserId(pdu.state_key) || serverOf(pdu.state_key) !== this.serverName) throw forbidden('Invitee is not a user of this server.');
    if (serverOf(pdu.sender) !== origin) throw forbidden('Inviter is not from the requesting server.');
    const signatures = this.countersigned(pdu);
    const json = setTopLevelMember(c.json, 'signatures', canonicalJson(signatures));
    const signed: CheckedPdu = { ...c, pdu: { ...pdu, signatures }, json };
    await this.inbound.locks.run(roomId, () => this.storeInvite(origin, signed));
    return wrapV1(`{"event":${json}}`);
  }

  /**
   * Stores a received invite so that it is in the invitee's stream and current state (what
   * /events and initialSync read), even though we are not in the room: we fetch the invite's
   * auth events (and their auth chains) from the inviting server and persist the invite as a
   * timeline event with that state before it. If that fails it is kept as an outlier.
   */
  private async storeInvite(origin: string, c: CheckedPdu): Promise<void> {
    const { pdu } = c;
    try {
      if (this.storage.events.forwardExtremities(pdu.room_id).length > 0) {
        await this.inbound.process(origin, c, { fetchMissing: true });
        return;
      }
      const authTexts: string[] = [];
      for (const [id] of pdu.auth_events) {
        const res = await this.client.requestOk(origin, 'GET', `${FED}/event/${pathSegment(id)}/`);
        authTexts.push(...(topLevelArrayElements(res.text, 'pdus') ?? []));
        const chain = await this.client.requestOk(origin, 'GET', `${FED}/event_auth/${pathSegment(pdu.room_id)}/${pathSegment(id)}`);
        this.inbound.persistOutliers(await this.inbound.checkAll(topLevelArrayElements(chain.text, 'auth_chain') ?? [], pdu.room_id));
      }
      const authEvents = await this.inbound.checkAll(authTexts, pdu.room_id);
      this.inbound.persistOutliers(authEvents);
      const create = authEvents.find((a) => a.pdu.type === 'm.room.create')?.pdu;
      this.storage.rooms.createRoom(pdu.room_id, create ? String((create.content as JsonObject).creator) : null, false, this.clock());
      this.persister.persistRemoteEvent(pdu, c.json, { stateBefore: this.inbound.stateIds(authEvents), ageTs: c.ageTs });
    } catch (err) {
      this.log.warn({ origin, eventId: pdu.event_id, err: (err as Error).message }, 'could not fetch the auth events of an invite');
      this.persister.persistRemoteEvent(pdu, c.json, { outlier: true, ageTs: c.ageTs });
    }
  }

  /** RemoteRooms.inviteRemoteUser: build and sign, have the invitee's server countersign, then store and send. */
  async inviteRemoteUser(roomId: string, sender: string, target: string): Promise<string> {
    const pdu = this.persister.buildLocalEvent({
      type: 'm.room.member', room_id: roomId, sender, state_key: target, content: { membership: 'invite' },
    });
    const dest = serverOf(target);
    let returned: unknown;
    try {
      const res = await this.client.requestOk(dest, 'PUT', `${FED}/invite/${pathSegment(roomId)}/${pathSegment(pdu.event_id)}`, { body: pdu });
      returned = JSON.parse(unwrapV1(res.text)).event;
    } catch (err) {
      throw toMatrixError(err);
    }
    if (!isJsonObject(returned)) throw toMatrixError(new Error(`${dest} returned no invite event`));
    const { signatures: _s, unsigned: _u, ...theirs } = returned;
    const { signatures: _s2, ...ours } = pdu;
    if (canonicalJson(theirs) !== canonicalJson(ours)) throw toMatrixError(new Error(`${dest} altered the invite event`));
    if (!(await this.keyring.verifyEvent(returned, dest))) throw toMatrixError(new Error(`${dest} did not countersign the invite`));
    const signed = { ...pdu, signatures: returned.signatures } as Pdu;
    this.outbound.alreadyHeldBy(pdu.event_id, dest);
    const ev = await this.inbound.locks.run(roomId, async () =>
      this.persister.persistRemoteEvent(signed, canonicalJson(signed), { ageTs: this.clock() }),
    );
    if (ev.rejected) throw forbidden(`Invite not allowed: ${ev.rejected}`);
    return pdu.event_id;
  }
}
