// Send -> delivery on a waiting GET /events long-poll (p50/p99), first with no other poll open
// (the same-run baseline), then with IDLE other users' long-polls open (default 1,000; they are
// in rooms of their own, so the send wakes none of them). Target: p99 < 3 ms with them open.
// Client and server share this process, as in bench/client-send.ts. Run: npx tsx bench/long-poll.ts
import { Agent, request } from 'undici';
import { startServer, enc } from '../spec-tests/helpers/server.js';
import type { Requester } from '../src/accounts/auth.js';
import { percentile, report } from './report.js';

const IDLE = Number(process.env.IDLE ?? 1000);
const IDLE_ROOM_SIZE = 10;
const SAMPLES = 300;

const server = await startServer({ config: { rate_limiting: { per_second: 1e6, burst: 1e6 } } });
const agent = new Agent({ connections: 8 });
const pollAgent = new Agent({ connections: IDLE + 50 });
const api = `${server.url}/_matrix/client/api/v1`;
let stopping = false;
try {
  const { hs } = server;
  const req = (userId: string): Requester => ({ userId, tokenHash: `t-${userId}`, appserviceId: null, rateLimited: false, isGuest: false });
  const user = (name: string) => {
    const r = req(`@${name}:${server.serverName}`);
    hs.storage.users.createUser(r.userId, null, Date.now());
    return { r, token: hs.accounts.newSession(r.userId).access_token };
  };
  const alice = user('alice');
  const bob = user('bob');
  const { room_id: room } = await hs.rooms.createRoom(alice.r, { visibility: 'public' });
  await hs.rooms.join(bob.r, room);

  async function send(i: number): Promise<void> {
    const res = await request(`${api}/rooms/${enc(room)}/send/m.room.message?access_token=${alice.token}`, {
      method: 'POST', body: JSON.stringify({ msgtype: 'm.text', body: `l${i}` }), headers: { 'content-type': 'application/json' }, dispatcher: agent,
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`send: ${res.statusCode}`);
  }
  async function events(token: string, from: string | null, timeout: number, dispatcher = agent): Promise<{ chunk: unknown[]; end: string }> {
    const res = await request(`${api}/events?${from === null ? '' : `from=${enc(from)}&`}timeout=${timeout}&access_token=${token}`, { dispatcher });
    const body = JSON.parse(await res.body.text());
    if (res.statusCode !== 200) throw new Error(`events: ${res.statusCode} ${JSON.stringify(body)}`);
    return body;
  }
  const now = async (token: string) => (await events(token, null, 0)).end;

  /** Bob waits on /events; alice sends; time from the send until bob's poll answers with it. */
  async function latencies(n: number): Promise<number[]> {
    let from = await now(bob.token);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const poll = events(bob.token, from, 10_000);
      await new Promise((r) => setTimeout(r, 2));
      const t0 = performance.now();
      await send(i);
      const body = await poll;
      out.push(performance.now() - t0);
      if (body.chunk.length === 0) throw new Error('the poll answered without the message');
      from = body.end;
    }
    return out;
  }

  await latencies(50); // warm-up
  // The baseline is measured before and after the idle polls, half each, so a change of the
  // machine's load during the run weighs on both figures alike.
  const alone = await latencies(SAMPLES / 2);

  // IDLE other users, IDLE_ROOM_SIZE to a room, each with an /events long-poll open (re-opened
  // when it answers, e.g. with presence of their room-mates coming online, as a client would).
  const idle: { token: string }[] = [];
  for (let i = 0; i < IDLE; i++) {
    const u = user(`idle${i}`);
    idle.push(u);
  }
  for (let i = 0; i < IDLE; i += IDLE_ROOM_SIZE) {
    const { room_id } = await hs.rooms.createRoom(req(`@idle${i}:${server.serverName}`), { visibility: 'public' });
    for (let j = i + 1; j < Math.min(IDLE, i + IDLE_ROOM_SIZE); j++) await hs.rooms.join(req(`@idle${j}:${server.serverName}`), room_id);
  }
  const waitingBefore = hs.notifier.waitingCount();
  const loops = idle.map(async ({ token }) => {
    let from = await now(token);
    while (!stopping) from = (await events(token, from, 60_000, pollAgent)).end;
  });
  // Wait until they all wait, and have stopped waking each other.
  let stable = 0;
  while (stable < 10) {
    await new Promise((r) => setTimeout(r, 50));
    stable = hs.notifier.waitingCount() - waitingBefore >= IDLE ? stable + 1 : 0;
  }
  await latencies(50);
  const withIdle = await latencies(SAMPLES);
  const open = hs.notifier.waitingCount() - waitingBefore;
  stopping = true;
  hs.notifier.notifyAll();
  await Promise.allSettled(loops);
  await latencies(20);
  alone.push(...(await latencies(SAMPLES / 2)));

  const p50a = percentile(alone, 50);
  const p99a = percentile(alone, 99);
  const p50 = percentile(withIdle, 50);
  const p99 = percentile(withIdle, 99);
  console.log(`send -> delivery on a waiting /events long-poll (${SAMPLES} samples each; the baseline half before, half after)`);
  console.log(`  no other poll open               p50 ${p50a.toFixed(2)} ms   p99 ${p99a.toFixed(2)} ms`);
  console.log(`  ${String(open).padStart(4)} other idle long-polls open   p50 ${p50.toFixed(2)} ms   p99 ${p99.toFixed(2)} ms`);
  report({
    name: 'send -> waiting /events p50, 1,000 idle polls open', value: p50, unit: 'ms', baseline: `${p50a.toFixed(2)} ms, no other poll open`,
    ratio: p50 / p50a, target: null, met: null,
  });
  report({
    name: 'send -> waiting /events p99, 1,000 idle polls open', value: p99, unit: 'ms', baseline: `${p99a.toFixed(2)} ms, no other poll open`,
    ratio: p99 / p99a, target: '< 3 ms', met: p99 < 3,
  });
} finally {
  stopping = true;
  await server.close();
  await agent.close();
  await pollAgent.close();
}
