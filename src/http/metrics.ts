import type { FastifyInstance } from 'fastify';
import type { Homeserver } from '../homeserver.js';

export async function metricsRoutes(app: FastifyInstance, hs: Homeserver): Promise<void> {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    hs.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    hs.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  if (!hs.config.metricsEnabled) return;
  // GET /_synapse/metrics — Prometheus text format, where Synapse served it.
  app.get('/_synapse/metrics', async (_req, reply) => {
    reply.type(hs.metrics.registry.contentType);
    return hs.metrics.registry.metrics();
  });
}
