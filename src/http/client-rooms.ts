// Client API v1: creating rooms, membership, sending events and state, redactions. Rate limits,
// txnId idempotency and the membership dispatch live in rooms/client-requests.ts.
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Api } from './api.js';
import { authenticator } from './auth.js';
import { CLIENT_V1 as V1 } from './prefixes.js';
import { bodies, objectBody, optionalObjectBody, params } from './schemas.js';

type P = Record<string, string>;
const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;

export async function clientRoomRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const who = authenticator(api);
  const rooms = api.roomRequests;
  /** The same handler on several method + path pairs (POST without txnId, PUT/POST with one). */
  const routes = (list: [string, string][], schema: object, handler: RouteHandlerMethod) => {
    for (const [method, url] of list) app.route({ method: method as 'POST', url, schema, handler });
  };

  // POST /createRoom, PUT|POST /createRoom/{txnId}
  routes([['POST', `${V1}/createRoom`], ['PUT', `${V1}/createRoom/:txnId`], ['POST', `${V1}/createRoom/:txnId`]],
    { body: bodies.createRoom, params: params('txnId') },
    async (req) => rooms.createRoom(who(req), body(req), (req.params as P).txnId));

  // POST /join/{roomIdOrAlias}, PUT|POST /join/{roomIdOrAlias}/{txnId}
  routes([['POST', `${V1}/join/:roomIdOrAlias`], ['PUT', `${V1}/join/:roomIdOrAlias/:txnId`], ['POST', `${V1}/join/:roomIdOrAlias/:txnId`]],
    { body: optionalObjectBody, params: params('roomIdOrAlias', 'txnId') },
    async (req) => {
      const { roomIdOrAlias, txnId } = req.params as P;
      return rooms.join(who(req), roomIdOrAlias, txnId);
    });

  // POST /rooms/{roomId}/{join|leave|forget|invite|ban|unban|kick}, PUT|POST .../{txnId}
  routes([['POST', `${V1}/rooms/:roomId/:action`], ['PUT', `${V1}/rooms/:roomId/:action/:txnId`], ['POST', `${V1}/rooms/:roomId/:action/:txnId`]],
    { body: bodies.membership, params: params('roomId', 'action', 'txnId') },
    async (req) => {
      const { roomId, action, txnId } = req.params as P;
      return rooms.action(who(req), roomId, action, body(req), txnId);
    });

  // POST /rooms/{roomId}/send/{eventType}, PUT|POST /rooms/{roomId}/send/{eventType}/{txnId}
  routes([['POST', `${V1}/rooms/:roomId/send/:eventType`], ['PUT', `${V1}/rooms/:roomId/send/:eventType/:txnId`],
    ['POST', `${V1}/rooms/:roomId/send/:eventType/:txnId`]],
  { body: objectBody, params: params('roomId', 'eventType', 'txnId') },
  async (req) => {
    const { roomId, eventType, txnId } = req.params as P;
    return rooms.send(who(req), roomId, eventType, req.body, txnId);
  });

  // PUT|POST /rooms/{roomId}/state/{eventType}[/{stateKey}] (a trailing slash means the empty state key)
  routes([['PUT', `${V1}/rooms/:roomId/state/:eventType`], ['PUT', `${V1}/rooms/:roomId/state/:eventType/:stateKey`],
    ['POST', `${V1}/rooms/:roomId/state/:eventType`], ['POST', `${V1}/rooms/:roomId/state/:eventType/:stateKey`]],
  { body: objectBody, params: params('roomId', 'eventType', 'stateKey') },
  async (req) => {
    const { roomId, eventType, stateKey } = req.params as P;
    return rooms.setState(who(req), roomId, eventType, stateKey ?? '', req.body);
  });

  // POST /rooms/{roomId}/redact/{eventId}, PUT|POST .../{txnId}
  routes([['POST', `${V1}/rooms/:roomId/redact/:eventId`], ['PUT', `${V1}/rooms/:roomId/redact/:eventId/:txnId`],
    ['POST', `${V1}/rooms/:roomId/redact/:eventId/:txnId`]],
  { body: optionalObjectBody, params: params('roomId', 'eventId', 'txnId') },
  async (req) => {
    const { roomId, eventId, txnId } = req.params as P;
    return rooms.redact(who(req), roomId, eventId, req.body, txnId);
  });
}
