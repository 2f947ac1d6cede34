// Client API: registration (v1 and v2_alpha), login, logout.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Api } from './api.js';
import { accessTokenOf } from '../accounts/auth.js';
import type { RegistrationContext } from '../accounts/registration-flows.js';
import { authenticator } from './auth.js';
import { bodies } from './schemas.js';
import { CLIENT_V1 as V1, CLIENT_V2_ALPHA as V2 } from './prefixes.js';

const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;
const context = (req: FastifyRequest): RegistrationContext => ({ accessToken: accessTokenOf(req), ip: req.ip });

export async function clientAccountRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const who = authenticator(api);

  // GET /register — the flows a v1 client may use
  app.get(`${V1}/register`, async () => ({ flows: [{ type: 'm.login.password' }] }));

  // POST /register {"type": "m.login.password", "user", "password"} (and the other v1 types)
  app.post(`${V1}/register`, { schema: { body: bodies.registerV1 } }, async (req) => api.registration.registerV1(body(req), context(req)));

  // POST /_matrix/client/v2_alpha/register[?kind=guest] — matrix-js-sdk 0.3's two-step dummy flow, or a guest
  app.post(`${V2}/register`, { schema: { body: bodies.registerV2 } }, async (req, reply) => {
    if ((req.query as Record<string, unknown>).kind === 'guest') return api.accounts.registerGuest(api.config.allowGuestAccess);
    const res = await api.registration.registerV2(body(req), context(req));
    return 'status' in res ? reply.status(res.status).send(res.body) : res;
  });

  // GET /login, POST /login {"type": "m.login.password", "user", "password"}
  app.get(`${V1}/login`, async () => ({ flows: [{ type: 'm.login.password' }] }));
  app.post(`${V1}/login`, { schema: { body: bodies.login } }, async (req) => api.accounts.loginV1(body(req), req.ip));

  // POST /logout — the access token stops working
  app.post(`${V1}/logout`, async (req) => {
    api.accounts.logout(who(req).tokenHash);
    return {};
  });
}
