// Client API v1: profiles.
import type { FastifyInstance } from 'fastify';
import type { Api } from './api.js';
import type { ProfileField } from '../accounts/profile-service.js';
import { authenticator } from './auth.js';
import { bodies } from './schemas.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

type P = Record<string, string>;

export async function clientProfileRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const who = authenticator(api);

  // GET /profile/{userId} — no auth, as in 2015
  app.get(`${V1}/profile/:userId`, async (req) => api.profiles.get((req.params as P).userId));

  for (const field of ['displayname', 'avatar_url'] as ProfileField[]) {
    // GET /profile/{userId}/displayname|avatar_url
    app.get(`${V1}/profile/:userId/${field}`, async (req) => api.profiles.get((req.params as P).userId, field));
    // PUT /profile/{userId}/displayname|avatar_url {"displayname": "..."}
    app.put(`${V1}/profile/:userId/${field}`, { schema: { body: bodies[field] } }, async (req) => {
      await api.profiles.set(who(req), (req.params as P).userId, field, (req.body as Record<string, unknown>)[field]);
      return {};
    });
  }
}
