// POST /search (client v1, Synapse 0.12)
import type { FastifyInstance } from 'fastify';
import type { Homeserver } from '../homeserver.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

export async function clientSearchRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  const search = hs.search;

  // POST /search?next_batch= {"search_categories": {"room_events": {"search_term", "keys", "order_by", "filter"}}}
  app.post(`${V1}/search`, async (req) => {
    const userId = hs.auth.authenticate(req).userId;
    return search.search(userId, req.body, (req.query as Record<string, string | undefined>).next_batch);
  });
}
