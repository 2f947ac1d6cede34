// Two real homeservers that federate over loopback HTTP, and signed requests "from" one of them.
import { startServer, http, Client, type TestServer, type ApiResponse } from '../helpers/server.js';
import { authorizationHeader } from '../../src/federation/x-matrix.js';

/** Fast retries so a test that stops a server does not wait minutes for the backoff. */
export const FED_CONFIG = {
  federation: { plain_http_loopback_peers: true, retry_backoff_min_ms: 50, retry_backoff_max_ms: 400, request_timeout_ms: 10_000 },
};

export async function startFederating(opts: { dir?: string; port?: number } = {}): Promise<TestServer> {
  return startServer({ config: FED_CONFIG, ...opts });
}

export async function startPair(): Promise<[TestServer, TestServer]> {
  return Promise.all([startFederating(), startFederating()]);
}

/** A federating pair stopped when the test ends. */
export async function pairFor(t: { teardown(fn: () => Promise<void>): void }): Promise<[TestServer, TestServer]> {
  const [A, B] = await startPair();
  t.teardown(async () => {
    await B.close();
    await A.close();
  });
  return [A, B];
}

export const enc = encodeURIComponent;

/** A federation request from `from` to `to`, X-Matrix signed with `from`'s key (as its sender would). */
export async function signedRequest(
  from: TestServer | { serverName: string; hs: TestServer['hs'] }, to: TestServer, method: string, path: string,
  opts: { body?: unknown; rawBody?: string; origin?: string } = {},
): Promise<ApiResponse> {
  const origin = opts.origin ?? from.serverName;
  const content = opts.rawBody !== undefined ? JSON.parse(opts.rawBody) : opts.body;
  const auth = authorizationHeader({ method, uri: path, origin, destination: to.serverName, content }, from.hs.signingKey);
  return http(to.url, method, path, {
    body: opts.rawBody === undefined ? opts.body : undefined,
    rawBody: opts.rawBody,
    headers: { authorization: auth, ...(opts.rawBody !== undefined ? { 'content-type': 'application/json' } : {}) },
  });
}


/** Reads a user's /events stream from `from` until `done(events)` holds; returns the events and the next token. */
export async function readEventsUntil(
  c: Client, from: string, done: (events: any[]) => boolean, what: string,
): Promise<{ events: any[]; end: string }> {
  const events: any[] = [];
  let token = from;
  const deadline = Date.now() + 15_000;
  while (!done(events)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} in /events`);
    const res = await c.get(`/events?from=${enc(token)}&timeout=2000`);
    if (res.status !== 200) throw new Error(`/events: ${res.status} ${res.text}`);
    events.push(...res.body.chunk);
    token = res.body.end;
  }
  return { events, end: token };
}

export async function register(server: TestServer, localpart: string): Promise<Client> {
  return Client.register(server, localpart);
}

export function messageBodies(events: any[]): string[] {
  return events.filter((e) => e.type === 'm.room.message').map((e) => e.content?.body);
}

export { waitFor } from '../helpers/server.js';
