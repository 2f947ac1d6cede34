import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Homeserver } from './homeserver.js';

export interface Listeners {
  urls: string[];
  /** The port the client API actually listens on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** Extra listeners (the federation TLS port) register themselves here. */
export type ListenerStarter = (hs: Homeserver, app: FastifyInstance) => Promise<{ url: string; close: () => Promise<void> } | null>;
export const extraListeners: ListenerStarter[] = [];

export async function startListeners(hs: Homeserver, app: FastifyInstance): Promise<Listeners> {
  await app.listen({ host: hs.config.bindAddress, port: hs.config.port });
  const port = (app.server.address() as AddressInfo).port;
  const urls = [`http://${hs.config.bindAddress}:${port}`];
  const closers: (() => Promise<void>)[] = [() => app.close()];
  for (const start of extraListeners) {
    const l = await start(hs, app);
    if (l) {
      urls.push(l.url);
      closers.push(l.close);
    }
  }
  return {
    urls,
    port,
    close: async () => {
      for (const c of closers.reverse()) await c();
    },
  };
}
