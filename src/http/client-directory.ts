// Client API v1: the room directory (aliases) and the public room list.
import type { FastifyInstance } from 'fastify';
import type { Api } from './api.js';
import { authenticator } from './auth.js';
import { bodies } from './schemas.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

type P = Record<string, string>;

export async function clientDirectoryRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const who = authenticator(api);

  // GET /directory/room/{roomAlias} — no auth needed
  app.get(`${V1}/directory/room/:alias`, async (req) => api.directory.resolve((req.params as P).alias));

  // PUT /directory/room/{roomAlias} {"room_id": "!...", "servers"?: [...]}
  app.put(`${V1}/directory/room/:alias`, { schema: { body: bodies.directory } }, async (req) => {
    await api.directory.create(who(req), (req.params as P).alias, req.body as Record<string, unknown>);
    return {};
  });

  // DELETE /directory/room/{roomAlias}
  app.delete(`${V1}/directory/room/:alias`, async (req) => {
    api.directory.delete(who(req), (req.params as P).alias);
    return {};
  });

  // GET /publicRooms — no auth
  app.get(`${V1}/publicRooms`, async () => api.directory.publicRooms());
}
