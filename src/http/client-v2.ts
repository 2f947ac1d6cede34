// The late-2015 v2_alpha client API: filters, /sync, account data and room tags.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { MatrixError, forbidden, notFound } from '../errors.js';
import { parseFilter } from '../accounts/filters.js';
import { refreshTokens } from '../accounts/token-refresh.js';
import { parseStreamToken } from '../sync/tokens.js';
import type { JsonObject } from '../events/index.js';
import { CLIENT_V2_ALPHA as V2 } from './prefixes.js';

type P = Record<string, string>;
type Q = Record<string, string | undefined>;

const PRESENCE_STATES = new Set(['online', 'offline', 'unavailable']);

export async function clientV2Routes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  const who = (req: FastifyRequest) => hs.auth.authenticate(req);

  // POST /user/{userId}/filter -> {"filter_id": "0"}
  app.post(`${V2}/user/:userId/filter`, async (req) => {
    const r = who(req);
    const { userId } = req.params as P;
    if (r.userId !== userId) throw forbidden('Can only create filters for your own user');
    parseFilter(req.body);
    return { filter_id: String(hs.storage.accountData.addFilter(userId, JSON.stringify(req.body))) };
  });

  // GET /user/{userId}/filter/{filterId}
  app.get(`${V2}/user/:userId/filter/:filterId`, async (req) => {
    const r = who(req);
    const { userId, filterId } = req.params as P;
    if (r.userId !== userId) throw forbidden('Cannot get filters for other users');
    const json = /^\d{1,15}$/.test(filterId) ? hs.storage.accountData.getFilter(userId, Number(filterId)) : undefined;
    if (json === undefined) throw notFound('No such filter');
    return JSON.parse(json) as JsonObject;
  });

  // GET /sync?since=&timeout=&full_state=&set_presence=&filter=
  app.get(`${V2}/sync`, async (req) => {
    const r = who(req);
    const q = req.query as Q;
    const timeout = q.timeout === undefined || q.timeout === '' ? 0 : Number(q.timeout);
    if (!Number.isInteger(timeout) || timeout < 0) throw new MatrixError(400, 'M_INVALID_PARAM', "'timeout' must be a non-negative integer");
    const setPresence = q.set_presence ?? 'online';
    if (!PRESENCE_STATES.has(setPresence)) throw new MatrixError(400, 'M_INVALID_PARAM', "'set_presence' must be online, offline or unavailable");
    const gone = new AbortController();
    req.raw.once('close', () => gone.abort());
    return hs.sync.v2.sync(r, {
      since: q.since ? parseStreamToken(q.since) : null,
      fullState: q.full_state === 'true',
      timeoutMs: timeout,
      setPresence,
      filter: syncFilter(hs, r.userId, q.filter),
    }, gone.signal);
  });

  // POST /tokenrefresh {"refresh_token"} -> {"access_token", "refresh_token"}; the old refresh token dies
  app.post(`${V2}/tokenrefresh`, async (req) => refreshTokens(hs.storage, hs.accounts, req.body, hs.clock()));

  // PUT /user/{userId}/account_data/{type}
  app.put(`${V2}/user/:userId/account_data/:type`, async (req) => {
    const { userId, type } = req.params as P;
    hs.accountData.putGlobal(who(req).userId, userId, type, req.body);
    return {};
  });

  // PUT /user/{userId}/rooms/{roomId}/account_data/{type}
  app.put(`${V2}/user/:userId/rooms/:roomId/account_data/:type`, async (req) => {
    const { userId, roomId, type } = req.params as P;
    hs.accountData.putRoom(who(req).userId, userId, roomId, type, req.body);
    return {};
  });

  // GET /user/{userId}/rooms/{roomId}/tags -> {"tags": {...}}
  app.get(`${V2}/user/:userId/rooms/:roomId/tags`, async (req) => {
    const { userId, roomId } = req.params as P;
    return { tags: hs.accountData.tags(who(req).userId, userId, roomId) };
  });

  // PUT /user/{userId}/rooms/{roomId}/tags/{tag} {"order": 1}
  app.put(`${V2}/user/:userId/rooms/:roomId/tags/:tag`, async (req) => {
    const { userId, roomId, tag } = req.params as P;
    hs.accountData.addTag(who(req).userId, userId, roomId, tag, req.body ?? {});
    return {};
  });

  // DELETE /user/{userId}/rooms/{roomId}/tags/{tag}
  app.delete(`${V2}/user/:userId/rooms/:roomId/tags/:tag`, async (req) => {
    const { userId, roomId, tag } = req.params as P;
    hs.accountData.removeTag(who(req).userId, userId, roomId, tag);
    return {};
  });
}

/** ?filter= is a stored filter's id or, if it starts with "{", a filter definition inline. */
function syncFilter(hs: Homeserver, userId: string, param: string | undefined) {
  if (param === undefined || param === '') return parseFilter({});
  if (param.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(param);
    } catch {
      throw new MatrixError(400, 'M_NOT_JSON', 'Filter is not JSON');
    }
    return parseFilter(v);
  }
  const json = /^\d{1,15}$/.test(param) ? hs.storage.accountData.getFilter(userId, Number(param)) : undefined;
  if (json === undefined) throw new MatrixError(400, 'M_UNKNOWN', 'No such filter');
  return parseFilter(JSON.parse(json));
}
