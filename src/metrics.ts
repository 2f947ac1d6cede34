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
