import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import type { Requester } from '../accounts/auth.js';
import type { MembershipAction } from '../rooms/room-service.js';
import { lookupThreePid } from '../rooms/identity-lookup.js';
import { MatrixError } from '../errors.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

type P = Record<string, string>;
const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;

/** Answers a repeated (token, path, txnId) with the first answer, for calls that are not single events. */
async function idempotent<T>(hs: Homeserver, who: Requester, path: string, txnId: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (txnId === undefined) return fn();
  const previous = hs.storage.clientTxns.get(who.tokenHash, path, txnId);
  if (previous !== undefined) return previous as T;
  const res = await fn();
  hs.storage.clientTxns.put(who.tokenHash, path, txnId, res, hs.clock());
  return res;
}

export async function clientRoomRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  const who = (req: FastifyRequest) => hs.auth.authenticate(req);
  const sendLimit = (r: Requester) => hs.rateLimit?.(r);

  // POST /createRoom, PUT /createRoom/{txnId}
  const createRoom = async (req: FastifyRequest) => {
    const r = who(req);
    if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
      throw new MatrixError(400, 'M_BAD_JSON', 'Body must be a JSON object');
    }
    sendLimit(r);
    return idempotent(hs, r, 'createRoom', (req.params as P).txnId, () => hs.rooms.createRoom(r, body(req)));
  };
  app.post(`${V1}/createRoom`, createRoom);
  app.put(`${V1}/createRoom/:txnId`, createRoom);
  app.post(`${V1}/createRoom/:txnId`, createRoom);

  // POST /join/{roomIdOrAlias}, PUT /join/{roomIdOrAlias}/{txnId}
  const join = async (req: FastifyRequest) => {
    const r = who(req);
    const { roomIdOrAlias, txnId } = req.params as P;
    return idempotent(hs, r, `join/${roomIdOrAlias}`, txnId, () => hs.rooms.join(r, roomIdOrAlias));
  };
  app.post(`${V1}/join/:roomIdOrAlias`, join);
  app.put(`${V1}/join/:roomIdOrAlias/:txnId`, join);
  app.post(`${V1}/join/:roomIdOrAlias/:txnId`, join);

  // POST /rooms/{roomId}/{join|leave|invite|ban|unban|kick}, PUT .../{txnId}
  const membership = async (req: FastifyRequest) => {
    const r = who(req);
    const { roomId, action, txnId } = req.params as P;
    return idempotent(hs, r, `rooms/${roomId}/${action}`, txnId, async () => {
      if (action === 'join') return hs.rooms.join(r, roomId);
      if (action === 'leave') {
        await hs.rooms.membership(r, roomId, 'leave', r.userId);
        return {};
      }
      if (action === 'forget') {
        await hs.rooms.forget(r, roomId);
        return {};
      }
      if (!['invite', 'ban', 'unban', 'kick'].includes(action)) {
        throw new MatrixError(404, 'M_UNRECOGNIZED', `Unrecognized request: ${action}`);
      }
      const { user_id: given, reason, id_server: idServer, medium, address } = body(req);
      let target = given;
      if (action === 'invite' && target === undefined && idServer !== undefined) {
        target = await lookupThreePid(idServer, medium, address);
        if (target === null) throw new MatrixError(400, 'M_UNRECOGNIZED', 'This address is not bound to a Matrix user');
      }
      if (typeof target !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', 'Missing user_id key.');
      await hs.rooms.membership(r, roomId, action as MembershipAction, target, typeof reason === 'string' ? reason : undefined);
      return {};
    });
  };
  app.post(`${V1}/rooms/:roomId/:action`, membership);
  app.put(`${V1}/rooms/:roomId/:action/:txnId`, membership);
  app.post(`${V1}/rooms/:roomId/:action/:txnId`, membership);

  // POST /rooms/{roomId}/send/{eventType}, PUT or POST /rooms/{roomId}/send/{eventType}/{txnId}
  const send = async (req: FastifyRequest) => {
    const r = who(req);
    const { roomId, eventType, txnId } = req.params as P;
    const txn = txnId !== undefined ? { txnId, path: `rooms/${roomId}/send/${eventType}` } : undefined;
    if (!txn || hs.storage.clientTxns.get(r.tokenHash, txn.path, txn.txnId) === undefined) sendLimit(r);
    const sent = await hs.rooms.sendEvent(r, roomId, eventType, req.body, txn);
    return sent;
  };
  app.post(`${V1}/rooms/:roomId/send/:eventType`, send);
  app.put(`${V1}/rooms/:roomId/send/:eventType/:txnId`, send);
  app.post(`${V1}/rooms/:roomId/send/:eventType/:txnId`, send);

  // PUT /rooms/{roomId}/state/{eventType}[/{stateKey}] (a trailing slash means the empty state key)
  const putState = async (req: FastifyRequest) => {
    const r = who(req);
    const { roomId, eventType, stateKey } = req.params as P;
    sendLimit(r);
    return hs.rooms.setState(r, roomId, eventType, stateKey ?? '', req.body);
  };
  for (const method of ['put', 'post'] as const) {
    app[method](`${V1}/rooms/:roomId/state/:eventType`, putState);
    app[method](`${V1}/rooms/:roomId/state/:eventType/:stateKey`, putState);
  }

  // POST /rooms/{roomId}/redact/{eventId}, PUT .../{txnId}
  const redact = async (req: FastifyRequest) => {
    const r = who(req);
    const { roomId, eventId, txnId } = req.params as P;
    const txn = txnId !== undefined ? { txnId, path: `rooms/${roomId}/redact/${eventId}` } : undefined;
    sendLimit(r);
    return hs.rooms.redact(r, roomId, eventId, req.body, txn);
  };
  app.post(`${V1}/rooms/:roomId/redact/:eventId`, redact);
  app.put(`${V1}/rooms/:roomId/redact/:eventId/:txnId`, redact);
  app.post(`${V1}/rooms/:roomId/redact/:eventId/:txnId`, redact);
}
