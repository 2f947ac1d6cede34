// Two real homeservers that federate over loopback HTTP, and signed requests "from" one of them.
import { startServer, http, Client, waitFor, type TestServer, type ApiResponse } from '../helpers/server.js';
import { authorizationHeader } from '../../src/federation/x-matrix.js';

/** Fast retries so a test that stops a server does not wait minutes for the backoff. */
export const FED_CONFIG = {
  federation: { plain_http_loopback_peers: true, retry_backoff_min_ms: 50, retry_backoff_max_ms: 400, request_timeout_ms: 10_000 },
};

export async function startFederating(opts: { dir?: string; port?: number; namePort?: number } = {}): Promise<TestServer> {
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

type Teardown = { teardown(fn: () => Promise<void> | void): void };

/** The common federation setup: a room on A with an alias, created by alice (A), joined by bob (B). */
export interface FederatedRoom {
  A: TestServer;
  B: TestServer;
  /** alice of A created the room (power 100); her token is `alice.token`. */
  alice: Client;
  /** bob of B joined it by its alias; his token is `bob.token`. */
  bob: Client;
  roomId: string;
  /** `#<alias>:<A>` */
  alias: string;
}

export interface FederatedRoomOptions {
  /** Local part of the room's alias on A (default "shared"). */
  alias?: string;
  /** Extra createRoom keys (visibility, name, preset...). */
  createRoom?: Record<string, unknown>;
}

/**
 * Two real federating servers, stopped when the test ends, with `FederatedRoom`'s room: resolves
 * once A holds bob's join (send_join gave B the room's state).
 */
export async function federatedRoom(t: Teardown, opts: FederatedRoomOptions = {}): Promise<FederatedRoom> {
  const [A, B] = await pairFor(t);
  return roomBetween(A, B, opts);
}

/** `federatedRoom` on servers the caller already started. */
export async function roomBetween(A: TestServer, B: TestServer, opts: FederatedRoomOptions = {}): Promise<FederatedRoom> {
  const aliasName = opts.alias ?? 'shared';
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const created = await alice.post('/createRoom', { room_alias_name: aliasName, ...opts.createRoom });
  if (created.status !== 200) throw new Error(`createRoom: ${created.status} ${created.text}`);
  const roomId: string = created.body.room_id;
  const alias = `#${aliasName}:${A.serverName}`;
  await joinByAlias(bob, alice, roomId, alias);
  return { A, B, alice, bob, roomId, alias };
}

/** `who` joins `alias` (a room of another server); resolves once `member` (a resident) sees the join. */
export async function joinByAlias(who: Client, member: Client, roomId: string, alias: string): Promise<void> {
  const joined = await who.post(`/join/${enc(alias)}`, {});
  if (joined.status !== 200) throw new Error(`join ${alias}: ${joined.status} ${joined.text}`);
  if (joined.body.room_id !== roomId) throw new Error(`join ${alias}: joined ${joined.body.room_id}, not ${roomId}`);
  await waitFor(async () => {
    const m = await member.get(`/rooms/${enc(roomId)}/state/m.room.member/${enc(who.userId!)}`);
    return m.status === 200 && m.body.membership === 'join';
  }, `${who.userId}'s join seen by ${member.userId}`);
}

/** A third real server C whose user carol joins the room too (stopped when the test ends). */
export async function thirdServer(t: Teardown, room: FederatedRoom): Promise<{ C: TestServer; carol: Client }> {
  const C = await startFederating();
  t.teardown(() => C.close());
  const carol = await register(C, 'carol');
  await joinByAlias(carol, room.alice, room.roomId, room.alias);
  return { C, carol };
}

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
