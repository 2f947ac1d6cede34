// The late-2015 v2_alpha client API: filters, /sync, account data and room tags.
import type { FastifyInstance } from 'fastify';
import type { Api } from './api.js';
import { MatrixError } from '../errors.js';
import { parseStreamToken } from '../sync/tokens.js';
import { authenticator } from './auth.js';
import { bodies, optionalObjectBody, queries } from './schemas.js';
import { CLIENT_V2_ALPHA as V2 } from './prefixes.js';

type P = Record<string, string>;
type Q = Record<string, string | undefined>;

const PRESENCE_STATES = new Set(['online', 'offline', 'unavailable']);

export async function clientV2Routes(app: FastifyInstance, api: Api): Promise<void> {
  const who = authenticator(api);

  // POST /user/{userId}/filter -> {"filter_id": "0"}
  app.post(`${V2}/user/:userId/filter`, { schema: { body: bodies.filter } }, async (req) =>
    api.accountData.createFilter(who(req).userId, (req.params as P).userId, req.body));

  // GET /user/{userId}/filter/{filterId}
  app.get(`${V2}/user/:userId/filter/:filterId`, async (req) => {
    const { userId, filterId } = req.params as P;
    return api.accountData.getFilter(who(req).userId, userId, filterId);
  });

  // GET /sync?since=&timeout=&full_state=&set_presence=&filter=
  app.get(`${V2}/sync`, { schema: { querystring: queries.sync } }, async (req) => {
    const r = who(req);
    const q = req.query as Q;
    const timeout = q.timeout === undefined || q.timeout === '' ? 0 : Number(q.timeout);
    if (!Number.isInteger(timeout) || timeout < 0) throw new MatrixError(400, 'M_INVALID_PARAM', "'timeout' must be a non-negative integer");
    const setPresence = q.set_presence ?? 'online';
    if (!PRESENCE_STATES.has(setPresence)) throw new MatrixError(400, 'M_INVALID_PARAM', "'set_presence' must be online, offline or unavailable");
    const gone = new AbortController();
    req.raw.once('close', () => gone.abort());
    return api.sync.v2.sync(r, {
      since: q.since ? parseStreamToken(q.since) : null,
      fullState: q.full_state === 'true',
      timeoutMs: timeout,
      setPresence,
      filter: api.accountData.syncFilter(r.userId, q.filter),
    }, gone.signal);
  });

  // POST /tokenrefresh {"refresh_token"} -> {"access_token", "refresh_token"}; the old refresh token dies
  app.post(`${V2}/tokenrefresh`, { schema: { body: bodies.tokenRefresh } }, async (req) => api.accounts.refreshTokens(req.body));

  // PUT /user/{userId}/account_data/{type}
  app.put(`${V2}/user/:userId/account_data/:type`, { schema: { body: bodies.accountData } }, async (req) => {
    const { userId, type } = req.params as P;
    api.accountData.putGlobal(who(req).userId, userId, type, req.body);
    return {};
  });

  // PUT /user/{userId}/rooms/{roomId}/account_data/{type}
  app.put(`${V2}/user/:userId/rooms/:roomId/account_data/:type`, { schema: { body: bodies.accountData } }, async (req) => {
    const { userId, roomId, type } = req.params as P;
    api.accountData.putRoom(who(req).userId, userId, roomId, type, req.body);
    return {};
  });

  // GET /user/{userId}/rooms/{roomId}/tags -> {"tags": {...}}
  app.get(`${V2}/user/:userId/rooms/:roomId/tags`, async (req) => {
    const { userId, roomId } = req.params as P;
    return { tags: api.accountData.tags(who(req).userId, userId, roomId) };
  });

  // PUT /user/{userId}/rooms/{roomId}/tags/{tag} {"order": 1}
  app.put(`${V2}/user/:userId/rooms/:roomId/tags/:tag`, { schema: { body: optionalObjectBody } }, async (req) => {
    const { userId, roomId, tag } = req.params as P;
    api.accountData.addTag(who(req).userId, userId, roomId, tag, req.body ?? {});
    return {};
  });

  // DELETE /user/{userId}/rooms/{roomId}/tags/{tag}
  app.delete(`${V2}/user/:userId/rooms/:roomId/tags/:tag`, async (req) => {
    const { userId, roomId, tag } = req.params as P;
    api.accountData.removeTag(who(req).userId, userId, roomId, tag);
    return {};
  });
}
