// What client requests do to rooms, between the route and the room service: the send rate
// limit, idempotency per client txnId, and the dispatch of POST /rooms/{roomId}/{action}.
import type { Requester } from '../accounts/auth.js';
import type { RoomService, MembershipAction } from './room-service.js';
import type { CreateRoomResult } from './create-room.js';
import type { ClientTxns } from './client-txns.js';
import type { IdentityLookup } from './identity-lookup.js';
import { MatrixError } from '../errors.js';

type Body = Record<string, unknown>;

export interface ClientRoomRequestsDeps {
  /** Invites by third-party id ask an identity server. */
  identity: Pick<IdentityLookup, 'lookup'>;
  rooms: Pick<RoomService, 'createRoom' | 'join' | 'membership' | 'forget' | 'sendEvent' | 'setState' | 'redact'>;
  txns: ClientTxns;
  /** Throws 429 M_LIMIT_EXCEEDED when the requester sends too fast. */
  rateLimit: (requester: Requester) => void;
}

const TARGET_ACTIONS = new Set<string>(['invite', 'ban', 'unban', 'kick']);

export class ClientRoomRequests {
  constructor(private readonly deps: ClientRoomRequestsDeps) {}

  /** POST /createRoom, PUT /createRoom/{txnId} */
  createRoom(who: Requester, body: Body, txnId?: string): Promise<CreateRoomResult> {
    return this.deps.txns.once(who, 'createRoom', txnId, () => {
      this.deps.rateLimit(who);
      return this.deps.rooms.createRoom(who, body);
    });
  }

  /** POST /join/{roomIdOrAlias}, PUT /join/{roomIdOrAlias}/{txnId} */
  join(who: Requester, roomIdOrAlias: string, txnId?: string): Promise<{ room_id: string }> {
    return this.deps.txns.once(who, `join/${roomIdOrAlias}`, txnId, () => this.deps.rooms.join(who, roomIdOrAlias));
  }

  /** POST /rooms/{roomId}/{join|leave|forget|invite|ban|unban|kick}[/{txnId}] */
  action(who: Requester, roomId: string, action: string, body: Body, txnId?: string): Promise<object> {
    return this.deps.txns.once(who, `rooms/${roomId}/${action}`, txnId, () => this.dispatch(who, roomId, action, body));
  }

  private async dispatch(who: Requester, roomId: string, action: string, body: Body): Promise<object> {
    const rooms = this.deps.rooms;
    if (action === 'join') return rooms.join(who, roomId);
    if (action === 'leave') {
      await rooms.membership(who, roomId, 'leave', who.userId);
      return {};
    }
    if (action === 'forget') {
      await rooms.forget(who, roomId);
      return {};
    }
    if (!TARGET_ACTIONS.has(action)) throw new MatrixError(404, 'M_UNRECOGNIZED', `Unrecognized request: ${action}`);
    const { user_id: given, reason, id_server: idServer, medium, address } = body;
    let target = given;
    if (action === 'invite' && target === undefined && idServer !== undefined) {
      target = await this.deps.identity.lookup(idServer, medium, address);
      if (target === null) throw new MatrixError(400, 'M_UNRECOGNIZED', 'This address is not bound to a Matrix user');
    }
    if (typeof target !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing user_id key.');
    await rooms.membership(who, roomId, action as MembershipAction, target, typeof reason === 'string' ? reason : undefined);
    return {};
  }

  /** POST /rooms/{roomId}/send/{type}, PUT /rooms/{roomId}/send/{type}/{txnId}. A retry is not rate limited. */
  send(who: Requester, roomId: string, type: string, content: unknown, txnId?: string): Promise<{ event_id: string }> {
    const path = `rooms/${roomId}/send/${type}`;
    return this.deps.txns.once(who, path, txnId, async () => {
      this.deps.rateLimit(who);
      // The txnId echo (for the sender's /events) is stored in the event's own transaction.
      return this.deps.rooms.sendEvent(who, roomId, type, content, txnId === undefined ? undefined : { txnId, path });
    }, { storeAnswer: false });
  }

  /** PUT /rooms/{roomId}/state/{type}[/{stateKey}] */
  setState(who: Requester, roomId: string, type: string, stateKey: string, content: unknown): Promise<{ event_id: string }> {
    this.deps.rateLimit(who);
    return this.deps.rooms.setState(who, roomId, type, stateKey, content);
  }

  /** POST /rooms/{roomId}/redact/{eventId}, PUT .../{txnId} */
  redact(who: Requester, roomId: string, eventId: string, content: unknown, txnId?: string): Promise<{ event_id: string }> {
    const path = `rooms/${roomId}/redact/${eventId}`;
    this.deps.rateLimit(who);
    return this.deps.txns.once(who, path, txnId,
      () => this.deps.rooms.redact(who, roomId, eventId, content, txnId === undefined ? undefined : { txnId, path }), { storeAnswer: false });
  }
}
