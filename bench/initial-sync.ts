// Global initialSync (GET /initialSync?limit=10) for a user in 100 rooms, each with a second
// member and some history, over HTTP. Baseline in the same run: a bare Fastify route answering
// the very same JSON body (the unavoidable serialisation and HTTP). Target: < 50 ms.
// Run: npx tsx bench/initial-sync.ts   (ROOMS=... MESSAGES=... to vary)
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { startServer } from '../spec-tests/helpers/server.js';
import type { Requester } from '../src/accounts/auth.js';
import { percentile, report } from './report.js';

const ROOMS = Number(process.env.ROOMS ?? 100);
const MESSAGES = Number(process.env.MESSAGES ?? 20);
const RUNS = 40;
const agent = new Agent({ connections: 4 });

async function get(url: string): Promise<string> {
  const res = await request(url, { dispatcher: agent });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${text}`);
  return text;
}

async function timings(url: string): Promise<number[]> {
  for (let i = 0; i < 5; i++) await get(url); // warm-up
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await get(url);
    out.push(performance.now() - t0);
  }
  return out;
}

const server = await startServer({ config: { rate_limiting: { per_second: 1e6, burst: 1e6 } } });
try {
  const { hs } = server;
  const req = (userId: string): Requester => ({ userId, tokenHash: `t-${userId}`, appserviceId: null, rateLimited: false, isGuest: false });
  const alice = req(`@alice:${server.serverName}`);
  const bob = req(`@bob:${server.serverName}`);
  for (const u of [alice, bob]) hs.storage.users.createUser(u.userId, null, Date.now());
  for (let r = 0; r < ROOMS; r++) {
    const { room_id } = await hs.rooms.createRoom(alice, { visibility: 'private', name: `room ${r}` });
    await hs.rooms.membership(alice, room_id, 'invite', bob.userId);
    await hs.rooms.join(bob, room_id);
    for (let m = 0; m < MESSAGES; m++) await hs.rooms.sendEvent(m % 2 ? bob : alice, room_id, 'm.room.message', { msgtype: 'm.text', body: `message ${m} in room ${r}` });
  }
  const token = hs.accounts.newSession(alice.userId).access_token;
  const url = `${server.url}/_matrix/client/api/v1/initialSync?limit=10&access_token=${token}`;
  const body = await get(url);
  const rooms = (JSON.parse(body) as { rooms: unknown[] }).rooms.length;
  if (rooms !== ROOMS) throw new Error(`initialSync returned ${rooms} rooms, expected ${ROOMS}`);
  const ours = await timings(url);

  // Baseline: the same bytes from a bare Fastify route (parsed and re-serialised, as a route would).
  const bare = Fastify();
  const parsed = JSON.parse(body) as object;
  bare.get('/initialSync', async () => parsed);
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const bareTimes = await timings(`http://127.0.0.1:${(bare.server.address() as { port: number }).port}/initialSync`);
  await bare.close();

  const p50 = percentile(ours, 50);
  const b50 = percentile(bareTimes, 50);
  console.log(`global initialSync, user in ${ROOMS} rooms (2 members, ${MESSAGES} messages each, limit=10), ${RUNS} runs, ${(body.length / 1024).toFixed(0)} KB`);
  console.log(`  GET /initialSync          p50 ${p50.toFixed(1)} ms   p90 ${percentile(ours, 90).toFixed(1)} ms`);
  console.log(`  baseline: bare Fastify    p50 ${b50.toFixed(1)} ms   p90 ${percentile(bareTimes, 90).toFixed(1)} ms   (same JSON body)`);
  report({
    name: `global initialSync, user in ${ROOMS} rooms (p50)`, value: p50, unit: 'ms', baseline: `${b50.toFixed(1)} ms, bare Fastify serving the same body`,
    ratio: p50 / b50, target: '< 50 ms', met: p50 < 50,
  });
} finally {
  await server.close();
  await agent.close();
}
