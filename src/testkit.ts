// A throwaway homeserver for tests (bridge authors' and ours): in-memory SQLite, a signing key
// that lives in memory, media in a temp dir removed on stop, a free loopback port, silent logs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import { configFromObject, MEMORY } from './config.js';
import { openHomeserverWith, type Homeserver } from './homeserver.js';
import { newSigningKey } from './random.js';
import { createLogger, type LogFormat } from './logging.js';
import { buildApp } from './app.js';
import { startListeners } from './listen.js';
import { parseRegistration, type AppService } from './appservice/registration.js';

export interface StartHomeserverOptions {
  /** Defaults to `localhost:<port>`; a name with a port serves client and federation APIs on it. */
  serverName?: string;
  /** Defaults to a free loopback port. */
  port?: number;
  /** Extra homeserver.yaml keys, validated like the file (e.g. `{ enable_registration: false }`). */
  config?: Record<string, unknown>;
  /** `silent` by default. */
  logLevel?: string;
  logFormat?: LogFormat;
  /** Where log lines go (stdout by default). */
  logStream?: NodeJS.WritableStream;
}

export interface RegisteredUser {
  userId: string;
  accessToken: string;
}

export interface RunningHomeserver {
  /** Base URL of the client (and federation) API, e.g. http://127.0.0.1:41234 */
  url: string;
  serverName: string;
  port: number;
  /** Registers a user over the client API (`POST /register`) and returns its token. */
  registerUser(localpart?: string, password?: string): Promise<RegisteredUser>;
  /**
   * Adds an application service from a registration object (the YAML of a registration file,
   * as matrix-appservice-bridge's AppServiceRegistration.getOutput() produces). Its sender user
   * is created and transactions start flowing to `url`.
   */
  registerAppService(registration: Record<string, unknown>): AppService;
  /** Stops listening, stops the outbound queues, drops the database and the media folder. */
  stop(): Promise<void>;
  /** The server object itself (internal API, may change). */
  homeserver: Homeserver;
}

export async function startHomeserver(opts: StartHomeserverOptions = {}): Promise<RunningHomeserver> {
  const port = opts.port ?? (await freeLoopbackPort());
  const serverName = opts.serverName ?? `localhost:${port}`;
  // The only folder written: media (and a TLS certificate for a name without a port). Removed on stop.
  const tempDir = mkdtempSync(join(tmpdir(), 'hs-ephemeral-'));
  const raw = {
    server_name: serverName,
    port,
    public_baseurl: `http://localhost:${port}`,
    database: { path: MEMORY },
    media_store_path: join(tempDir, 'media'),
    registration_shared_secret: null,
    rate_limiting: { per_second: 1000, burst: 1000 },
    federation: {
      plain_http_loopback_peers: true, retry_backoff_min_ms: 100, retry_backoff_max_ms: 2000,
      tls_certificate_path: join(tempDir, 'tls.crt'), tls_private_key_path: join(tempDir, 'tls.key'),
    },
    appservice: { retry_backoff_min_ms: 100, retry_backoff_max_ms: 2000 },
    log_level: opts.logLevel ?? 'silent',
    ...(opts.logFormat ? { log_format: opts.logFormat } : {}),
    ...opts.config,
  };
  let hs: Homeserver | undefined;
  try {
    const config = configFromObject(raw, '<startHomeserver options>');
    const logger: Logger = createLogger({ level: config.logLevel, format: config.logFormat, stream: opts.logStream });
    hs = openHomeserverWith(config, newSigningKey('auto'), { logger });
    const app = await buildApp(hs);
    const listeners = await startListeners(hs, app);
    const url = `http://127.0.0.1:${listeners.port}`;
    const server = hs;
    let stopped = false;
    let userCounter = 0;
    return {
      url,
      serverName,
      port: listeners.port,
      homeserver: server,
      async registerUser(localpart = `user${++userCounter}_${Date.now().toString(36)}`, password = 'correct horse battery staple') {
        const res = await fetch(`${url}/_matrix/client/api/v1/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'm.login.password', user: localpart, password }),
        });
        const body = (await res.json()) as { user_id?: string; access_token?: string; error?: string };
        if (res.status !== 200 || !body.user_id || !body.access_token) throw new Error(`registerUser(${localpart}): ${res.status} ${body.error ?? ''}`);
        return { userId: body.user_id, accessToken: body.access_token };
      },
      registerAppService(registration) {
        const service = parseRegistration(registration, `registerAppService(${String(registration.id ?? registration.sender_localpart)})`);
        server.appservices.add(service);
        return service;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await listeners.close();
        await server.close();
        rmSync(tempDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (hs) await hs.close();
    rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
}

export interface FederatedPair {
  a: RunningHomeserver;
  b: RunningHomeserver;
  stop(): Promise<void>;
}

/** Two in-memory servers that federate over loopback HTTP (`localhost:<portA>`, `localhost:<portB>`). */
export async function startFederatedPair(opts: Omit<StartHomeserverOptions, 'serverName' | 'port'> = {}): Promise<FederatedPair> {
  const a = await startHomeserver(opts);
  let b: RunningHomeserver;
  try {
    b = await startHomeserver(opts);
  } catch (err) {
    await a.stop();
    throw err;
  }
  return { a, b, stop: async () => { await b.stop(); await a.stop(); } };
}

/** A port free on 127.0.0.1 right now (the server name must carry it before we listen). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
