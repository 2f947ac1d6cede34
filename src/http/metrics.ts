import type { FastifyInstance } from 'fastify';
import type { Api } from './api.js';

export async function metricsRoutes(app: FastifyInstance, api: Api): Promise<void> {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    api.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    api.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  // GET /_synapse/metrics is served by its own listener (metrics.port, src/metrics.ts), never
  // here: the client port answers it with 404 M_UNRECOGNIZED like any unknown path.
}
