// Application service API: the early-2015 HTTP registration (logic in appservice/index.ts).
import type { FastifyInstance } from 'fastify';
import type { Api } from './api.js';

export async function appserviceRoutes(app: FastifyInstance, api: Api): Promise<void> {
  // POST /_matrix/appservice/v1/register {"as_token", "url", "namespaces"} -> {"hs_token"}
  app.post('/_matrix/appservice/v1/register', async (req) =>
    api.appservices.registerLegacy((req.body ?? {}) as Record<string, unknown>));
}
