// Test servers: a real homeserver on a temp dir, a real SQLite file, listening on a free loopback port.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import YAML from 'yaml';
import { request } from 'undici';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { defaultConfigText } from '../../src/config-template.js';
import { openHomeserver, type Homeserver } from '../../src/homeserver.js';
import { buildApp } from '../../src/app.js';
import { startListeners, type Listeners } from '../../src/listen.js';

export interface TestServerOptions {
  /** Extra homeserver.yaml keys (merged over the generated default). */
  config?: Record<string, unknown>;
  /** Reuse a directory (to restart a server on the same database). */
  dir?: string;
  port?: number;
  /** The port in the server's name, when peers must reach it elsewhere than `port` (through a proxy). */
  namePort?: number;
  /** Where the server's log lines go (defaults to nowhere unless HS_TEST_LOG is set). */
  logStream?: NodeJS.WritableStream;
}

export interface TestServer {
  hs: Homeserver;
  listeners: Listeners;
  serverName: string;
  port: number;
  url: string;
  dir: string;
  configPath: string;
  /** Stops listening and closes the database; the directory stays for a restart. */
  stop(): Promise<void>;
  /** Stops and deletes the directory. */
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a homeserver named localhost:<port>; the same port serves client and federation APIs. */
export async function startServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hs-test-'));
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const serverName = `localhost:${opts.namePort ?? port}`;
  const configPath = join(dir, 'homeserver.yaml');
  const base = YAML.parse(defaultConfigText({ serverName, port }));
  const merged = {
    ...base,
    log_level: process.env.HS_TEST_LOG ?? 'silent',
    rate_limiting: { per_second: 1000, burst: 1000 },
    ...opts.config,
  };
  writeFileSync(configPath, YAML.stringify(merged));
  const config = loadConfig(configPath);
  const logger = opts.logStream
    ? pino({ level: 'debug' }, opts.logStream)
    : pino({ level: merged.log_level as string });
  const hs = openHomeserver(config, { logger });
  const app = await buildApp(hs);
  const listeners = await startListeners(hs, app);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await listeners.close();
    await hs.close();
  };
  return {
    hs, listeners, serverName, port, url: `http://127.0.0.1:${port}`, dir, configPath, stop,
    close: async () => {
      await stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One real HTTP request with undici; bodies that are objects are sent as JSON. */
export async function http<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; rawBody?: string | Buffer } = {},
): Promise<ApiResponse<T>> {
  let url = base + path;
  if (opts.token) url += (url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(opts.token);
  const payload = opts.rawBody ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  const res = await request(url, {
    method: method as any,
    body: payload,
    headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
  });
  const text = await res.body.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.statusCode, body, headers: res.headers as ApiResponse['headers'], text };
}

/** A client bound to a server and (optionally) an access token. */
export class Client {
  constructor(readonly url: string, public token?: string, public userId?: string) {}

  req<T = any>(method: string, path: string, body?: unknown, opts: { headers?: Record<string, string>; rawBody?: string } = {}) {
    return http<T>(this.url, method, path.startsWith('/_matrix') ? path : `/_matrix/client/api/v1${path}`, {
      body, token: this.token, ...opts,
    });
  }

  get<T = any>(path: string) { return this.req<T>('GET', path); }
  post<T = any>(path: string, body: unknown = {}) { return this.req<T>('POST', path, body); }
  put<T = any>(path: string, body: unknown = {}) { return this.req<T>('PUT', path, body); }
  del<T = any>(path: string) { return this.req<T>('DELETE', path); }

  /** Registers `localpart` with a password over POST /register and keeps the token. */
  static async register(server: { url: string }, localpart: string, password = 'correct horse battery'): Promise<Client> {
    const res = await http(server.url, 'POST', '/_matrix/client/api/v1/register', {
      body: { type: 'm.login.password', user: localpart, password },
    });
    if (res.status !== 200) throw new Error(`register ${localpart}: ${res.status} ${res.text}`);
    return new Client(server.url, res.body.access_token, res.body.user_id);
  }
}

export const enc = encodeURIComponent;

/** Polls until `fn` returns a truthy value (deliveries are asynchronous); fails after `ms`. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, ms = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
