import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from './api.js';
import { FEDERATION_V1 as V1 } from './prefixes.js';
import { authenticateRequest } from '../federation/request-auth.js';
import { UnknownQueryType } from '../federation/queries.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The server that signed this federation request (X-Matrix). */
    federationOrigin?: string;
  }
}

type P = Record<string, string>;
type Q = Record<string, unknown>;
const json = (reply: FastifyReply, text: string) => reply.type('application/json').send(text);

/** Server-server API v1. Every route is X-Matrix authenticated; trailing slashes are optional. */
export async function federationRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const f = api.federation;
  if (!f) return;
  await app.register(async (fed) => {
    fed.addHook('preHandler', async (req) => {
      req.federationOrigin = await authenticateRequest(req, api.serverName, f.keyring);
      f.outbound.peerIsUp(req.federationOrigin);
    });
    const origin = (req: FastifyRequest) => req.federationOrigin!;

    // PUT /send/{txnId}/
    fed.put(`${V1}/send/:txnId`, async (req, reply) =>
      json(reply, await f.transactions.receive(origin(req), (req.params as P).txnId, req.body, req.rawBody ?? '')));

    // GET /event/{eventId}/
    fed.get(`${V1}/event/:eventId`, async (req, reply) => json(reply, f.server.event(origin(req), (req.params as P).eventId)));

    // GET /state/{roomId}/?event_id=  and  GET /state_ids/{roomId}/?event_id=
    fed.get(`${V1}/state/:roomId`, async (req, reply) =>
      json(reply, f.server.state(origin(req), (req.params as P).roomId, (req.query as Q).event_id)));
    fed.get(`${V1}/state_ids/:roomId`, async (req, reply) =>
      json(reply, f.server.state(origin(req), (req.params as P).roomId, (req.query as Q).event_id, true)));

    // GET /backfill/{roomId}/?v=&limit=
    fed.get(`${V1}/backfill/:roomId`, async (req, reply) => {
      const q = req.query as Q;
      return json(reply, f.server.backfill(origin(req), (req.params as P).roomId, q.v, q.limit));
    });

    // POST /get_missing_events/{roomId}
    fed.post(`${V1}/get_missing_events/:roomId`, async (req, reply) =>
      json(reply, f.server.missingEvents(origin(req), (req.params as P).roomId, req.body)));

    // GET /event_auth/{roomId}/{eventId}
    fed.get(`${V1}/event_auth/:roomId/:eventId`, async (req, reply) => {
      const { roomId, eventId } = req.params as P;
      return json(reply, f.server.eventAuth(roomId, eventId));
    });

    // GET /make_join/{roomId}/{userId}
    fed.get(`${V1}/make_join/:roomId/:userId`, async (req) => {
      const { roomId, userId } = req.params as P;
      return f.joins.makeJoin(origin(req), roomId, userId);
    });

    // PUT /send_join/{roomId}/{eventId} -> [200, {state, auth_chain}]
    fed.put(`${V1}/send_join/:roomId/:eventId`, async (req, reply) => {
      const { roomId, eventId } = req.params as P;
      return json(reply, await f.joins.sendJoin(origin(req), roomId, eventId, req.body, req.rawBody ?? ''));
    });

    // PUT /invite/{roomId}/{eventId} -> [200, {event}]
    fed.put(`${V1}/invite/:roomId/:eventId`, async (req, reply) => {
      const { roomId, eventId } = req.params as P;
      return json(reply, await f.invites.onInvite(origin(req), roomId, eventId, req.body, req.rawBody ?? ''));
    });

    // GET /query/{queryType}?...
    fed.get(`${V1}/query/:queryType`, async (req, reply) => {
      const type = (req.params as P).queryType;
      try {
        return await f.queries.answer(type, req.query as Q);
      } catch (err) {
        if (!(err instanceof UnknownQueryType)) throw err;
        return reply.status(404).type('application/json').send(JSON.stringify(`No handler for Query type '${type}'`));
      }
    });
  });
}
