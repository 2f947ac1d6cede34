import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Api } from './api.js';
import { authenticator } from './auth.js';
import { bodies, queries } from './schemas.js';
import { MatrixError } from '../errors.js';
import { CLIENT_V1 as V1, CLIENT_V2_ALPHA as V2 } from './prefixes.js';

type P = Record<string, string>;
type Q = Record<string, string | undefined>;

function intParam(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new MatrixError(400, 'M_INVALID_PARAM', `'${name}' must be a non-negative integer`);
  return n;
}

export async function clientSyncRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const authed = authenticator(api);
  const who = (req: FastifyRequest) => authed(req).userId;
  const sync = api.sync;

  // GET /events?from=&timeout= — long-poll; the client going away ends the wait
  app.get(`${V1}/events`, { schema: { querystring: queries.events } }, async (req) => {
    const requester = authed(req);
    const q = req.query as Q;
    // `limit` and `timeout` are validated as Synapse did (a bad one is a 400, not a long-poll);
    // `limit` only bounds the dir=b read: a chunk holds what happened since `from`.
    const limit = intParam(q.limit, 'limit', 10);
    const timeout = intParam(q.timeout, 'timeout', 30_000);
    // ?room_id= narrows the stream to one room (Synapse 0.12); guests must give one.
    if (requester.isGuest && !q.room_id) throw new MatrixError(400, 'M_MISSING_PARAM', 'Guest users must specify room_id param');
    if (q.room_id && q.dir === 'b' && !q.from) return sync.stream.latestInRoom(requester, q.room_id, limit);
    const gone = new AbortController();
    req.raw.once('close', () => gone.abort());
    return sync.stream.poll(requester, q.from, timeout, gone.signal, q.room_id || null);
  });

  // GET /initialSync?limit=&archived=
  app.get(`${V1}/initialSync`, { schema: { querystring: queries.initialSync } }, async (req) => {
    const q = req.query as Q;
    return sync.initialSync(who(req), intParam(q.limit, 'limit', 10), q.archived === 'true');
  });

  // GET /events/{eventId}
  app.get(`${V1}/events/:eventId`, async (req) => sync.eventById(who(req), (req.params as P).eventId));

  // GET /rooms/{roomId}/initialSync
  app.get(`${V1}/rooms/:roomId/initialSync`, { schema: { querystring: queries.initialSync } }, async (req) =>
    sync.roomInitialSync(who(req), (req.params as P).roomId, intParam((req.query as Q).limit, 'limit', 10)),
  );

  // GET /rooms/{roomId}/messages?from=&to=&dir=&limit=
  app.get(`${V1}/rooms/:roomId/messages`, { schema: { querystring: queries.messages } }, async (req) => {
    const q = req.query as Q;
    return sync.pagination.messages(who(req), (req.params as P).roomId, {
      // An empty from/to is absent, as in Synapse's PaginationConfig (SyTest sends `from=` first).
      from: q.from || undefined, to: q.to || undefined, dir: q.dir, limit: intParam(q.limit, 'limit', 10),
    });
  });

  // GET /rooms/{roomId}/state, /state/{type}[/{stateKey}] (trailing slash = empty state key)
  app.get(`${V1}/rooms/:roomId/state`, async (req) => sync.roomState(who(req), (req.params as P).roomId));
  app.get(`${V1}/rooms/:roomId/state/:eventType`, async (req) => {
    const { roomId, eventType } = req.params as P;
    return sync.stateContent(who(req), roomId, eventType, '');
  });
  app.get(`${V1}/rooms/:roomId/state/:eventType/:stateKey`, async (req) => {
    const { roomId, eventType, stateKey } = req.params as P;
    return sync.stateContent(who(req), roomId, eventType, stateKey);
  });

  // GET /rooms/{roomId}/members
  app.get(`${V1}/rooms/:roomId/members`, async (req) => sync.members(who(req), (req.params as P).roomId));

  // PUT /rooms/{roomId}/typing/{userId} {"typing": true, "timeout": 30000}
  app.put(`${V1}/rooms/:roomId/typing/:userId`, { schema: { body: bodies.typing } }, async (req) => {
    const { roomId, userId } = req.params as P;
    // Synapse 0.12 read `typing` for its truth (SyTest sends {"typing": 1}): a boolean or a number.
    const b = req.body as { typing: boolean | number; timeout?: number };
    sync.typing.setLocal(roomId, who(req), userId, Boolean(b.typing), b.timeout ?? 30_000);
    return {};
  });

  // GET/PUT /presence/{userId}/status
  app.get(`${V1}/presence/:userId/status`, async (req) => sync.presence.getStatus(who(req), (req.params as P).userId));
  app.put(`${V1}/presence/:userId/status`, { schema: { body: bodies.presence } }, async (req) => {
    sync.presence.setStatus(who(req), (req.params as P).userId, req.body as Record<string, unknown>);
    return {};
  });

  // GET/POST /presence/list/{userId}
  app.get(`${V1}/presence/list/:userId`, async (req) => sync.presence.list(who(req), (req.params as P).userId));
  app.post(`${V1}/presence/list/:userId`, { schema: { body: bodies.presenceList } }, async (req) => {
    sync.presence.editList(who(req), (req.params as P).userId, req.body as Record<string, unknown>);
    return {};
  });

  // POST /_matrix/client/v2_alpha/rooms/{roomId}/receipt/{type}/{eventId}
  app.post(`${V2}/rooms/:roomId/receipt/:receiptType/:eventId`, async (req) => {
    const { roomId, receiptType, eventId } = req.params as P;
    sync.receipts.setLocal(who(req), roomId, receiptType, eventId);
    return {};
  });
}
