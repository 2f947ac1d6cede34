import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from './config.js';
import { startMetricsListener, type Metrics } from './metrics.js';

export interface Listeners {
  urls: string[];
  /** The port the client API actually listens on (useful with port 0). */
  port: number;
  /** The metrics listener's base URL, when metrics.port is set. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

/** A listener beside the client port (the federation TLS port), serving the same app. */
export type ListenerStarter = (app: FastifyInstance) => Promise<{ url: string; close: () => Promise<void> } | null>;

/** What listening needs: the addresses, the metrics, and the extra listeners the composition root made. */
export interface ListenDeps {
  config: Pick<ServerConfig, 'bindAddress' | 'port' | 'metricsEnabled' | 'metricsPort' | 'metricsBindAddress'>;
  metrics: Metrics;
  extraListeners: readonly ListenerStarter[];
}

/** In-flight requests get this long to finish on shutdown; then the remaining sockets are cut. */
const CLOSE_GRACE_MS = 5000;

/**
 * app.close() waits for every connection; a keep-alive socket whose client went away mid
 * long-poll would hold it for the whole keep-alive timeout.
 */
async function closeWithin(app: FastifyInstance, ms: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), ms);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

export async function startListeners(hs: ListenDeps, app: FastifyInstance): Promise<Listeners> {
  await app.listen({ host: hs.config.bindAddress, port: hs.config.port });
  const port = (app.server.address() as AddressInfo).port;
  const urls = [`http://${hs.config.bindAddress}:${port}`];
  const closers: (() => Promise<void>)[] = [() => closeWithin(app, CLOSE_GRACE_MS)];
  for (const start of hs.extraListeners) {
    const l = await start(app);
    if (l) {
      urls.push(l.url);
      closers.push(l.close);
    }
  }
  let metricsUrl: string | null = null;
  if (hs.config.metricsEnabled && hs.config.metricsPort !== null) {
    const m = await startMetricsListener(hs.metrics, hs.config.metricsPort, hs.config.metricsBindAddress);
    metricsUrl = m.url;
    closers.push(m.close);
  }
  return {
    urls,
    port,
    metricsUrl,
    close: async () => {
      for (const c of closers.reverse()) await c();
    },
  };
}
