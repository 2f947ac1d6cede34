import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import type { ProfileField } from '../accounts/profile-service.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

type P = Record<string, string>;

export async function clientProfileRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  // GET /profile/{userId} — no auth, as in 2015
  app.get(`${V1}/profile/:userId`, async (req) => hs.profiles.get((req.params as P).userId));

  for (const field of ['displayname', 'avatar_url'] as ProfileField[]) {
    // GET /profile/{userId}/displayname|avatar_url
    app.get(`${V1}/profile/:userId/${field}`, async (req) => hs.profiles.get((req.params as P).userId, field));
    // PUT /profile/{userId}/displayname|avatar_url {"displayname": "..."}
    app.put(`${V1}/profile/:userId/${field}`, async (req: FastifyRequest) => {
      const who = hs.auth.authenticate(req);
      const body = (req.body ?? {}) as Record<string, unknown>;
      await hs.profiles.set(who, (req.params as P).userId, field, body[field]);
      return {};
    });
  }
}
