import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one homeserver (a registry each, so two servers in one process don't clash). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total', help: 'HTTP requests answered', labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds', help: 'Time to answer HTTP requests', labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [this.registry],
  });
  readonly eventsPersisted = new Counter({
    name: 'events_persisted_total', help: 'Events stored through the write path', labelNames: ['origin', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'outbound_queue_depth', help: 'Events waiting in a durable outbound queue', labelNames: ['queue', 'target'] as const,
    registers: [this.registry],
  });
  readonly deliveryRetries = new Counter({
    name: 'outbound_delivery_retries_total', help: 'Failed outbound deliveries that will be retried', labelNames: ['queue', 'target'] as const,
    registers: [this.registry],
  });
  readonly longPolls = new Gauge({
    name: 'client_long_polls', help: 'Event stream requests currently waiting', registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

/**
 * The metrics listener (metrics.port on metrics.bind_address, loopback by default), as Synapse's
 * metrics_port: Prometheus text at GET /_synapse/metrics and nothing else. It is not on the
 * client port because it has no authentication.
 */
export async function startMetricsListener(
  metrics: Metrics, port: number, bindAddress: string,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && (path === '/_synapse/metrics' || path === '/_synapse/metrics/')) {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: 'Could not collect metrics' }));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bindAddress, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const host = bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
