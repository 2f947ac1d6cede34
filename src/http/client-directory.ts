import type { FastifyInstance } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

type P = Record<string, string>;

export async function clientDirectoryRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  // GET /directory/room/{roomAlias} — no auth needed
  app.get(`${V1}/directory/room/:alias`, async (req) => hs.directory.resolve((req.params as P).alias));

  // PUT /directory/room/{roomAlias} {"room_id": "!...", "servers"?: [...]}
  app.put(`${V1}/directory/room/:alias`, async (req) => {
    await hs.directory.create(hs.auth.authenticate(req), (req.params as P).alias, (req.body ?? {}) as Record<string, unknown>);
    return {};
  });

  // DELETE /directory/room/{roomAlias}
  app.delete(`${V1}/directory/room/:alias`, async (req) => {
    hs.directory.delete(hs.auth.authenticate(req), (req.params as P).alias);
    return {};
  });

  // GET /publicRooms — no auth
  app.get(`${V1}/publicRooms`, async () => hs.directory.publicRooms());
}
