// POST /search (client v1, Synapse 0.12)
import type { FastifyInstance } from 'fastify';
import type { Api } from './api.js';
import { authenticator } from './auth.js';
import { CLIENT_V1 as V1 } from './prefixes.js';

export async function clientSearchRoutes(app: FastifyInstance, api: Api): Promise<void> {
  const who = authenticator(api);

  // POST /search?next_batch= {"search_categories": {"room_events": {"search_term", "keys", "order_by", "filter"}}}
  app.post(`${V1}/search`, async (req) =>
    api.search.search(who(req).userId, req.body, (req.query as Record<string, string | undefined>).next_batch));
}
