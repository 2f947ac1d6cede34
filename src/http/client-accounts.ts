import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { accessTokenOf } from '../accounts/auth.js';
import { MatrixError } from '../errors.js';
import { registerGuest } from '../accounts/guests.js';
import { issueRefreshToken } from '../accounts/token-refresh.js';
import { CLIENT_V1 as V1, CLIENT_V2_ALPHA as V2 } from './prefixes.js';

const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;

export async function clientAccountRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  // GET /register — the flows a v1 client may use
  app.get(`${V1}/register`, async () => ({ flows: [{ type: 'm.login.password' }] }));

  // POST /register {"type": "m.login.password", "user", "password"} (and the other v1 types)
  app.post(`${V1}/register`, async (req) => hs.registration.registerV1(body(req), req));

  // POST /_matrix/client/v2_alpha/register — matrix-js-sdk 0.3's two-step dummy flow
  app.post(`${V2}/register`, async (req, reply) => {
    // ?kind=guest: a guest account, no credentials asked (Synapse 0.12)
    if ((req.query as Record<string, unknown>).kind === 'guest') {
      return registerGuest(hs.storage, hs.accounts, hs.config.allowGuestAccess, hs.clock);
    }
    const res = await hs.registration.registerV2(body(req), req, accessTokenOf(req) !== undefined);
    if ('status' in res) return reply.status(res.status).send(res.body);
    return res;
  });

  // GET /login, POST /login {"type": "m.login.password", "user", "password"}
  app.get(`${V1}/login`, async () => ({ flows: [{ type: 'm.login.password' }] }));
  app.post(`${V1}/login`, async (req) => {
    const b = body(req);
    if (b.type !== 'm.login.password') throw new MatrixError(400, 'M_UNKNOWN', 'Bad login type.');
    const session = await hs.accounts.login(b.user, b.password, req.ip);
    // Synapse 0.12 also handed out a refresh token for v2_alpha/tokenrefresh.
    return { ...session, refresh_token: issueRefreshToken(hs.storage, session.user_id, hs.clock()) };
  });

  // POST /logout — the access token stops working
  app.post(`${V1}/logout`, async (req) => {
    const who = hs.auth.authenticate(req);
    hs.accounts.logout(who.tokenHash);
    return {};
  });
}
