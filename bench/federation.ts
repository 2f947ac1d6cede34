// Federation figures with two real servers on loopback: events/s replicated from A to B (against
// A's own local persist rate) and send-to-remote-delivery latency (against one signed federation
// round trip). Run: npx tsx bench/federation.ts
import { startServer, type TestServer } from '../spec-tests/helpers/server.js';
import type { Requester } from '../src/accounts/auth.js';
import { report } from './report.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

const CONFIG = { federation: { plain_http_loopback_peers: true, retry_backoff_min_ms: 50, retry_backoff_max_ms: 500 } };
const fmt = (x: number, w = 8) => x.toFixed(x < 10 ? 2 : 0).padStart(w);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

function user(s: TestServer, localpart: string): Requester {
  const userId = `@${localpart}:${s.serverName}`;
  s.hs.storage.users.createUser(userId, null, Date.now());
  return { userId, tokenHash: localpart, appserviceId: null, rateLimited: false, isGuest: false };
}

/** Resolves when B has persisted the awaited event id (woken by B's notifier, as a long-poll of `userId` is). */
function arrivals(B: TestServer, userId: string) {
  return async (id: string) => {
    for (;;) {
      const round = new AbortController();
      const woken = B.hs.notifier.wait(userId, 1000, round.signal); // subscribed before looking
      if (B.hs.storage.events.hasEvent(id)) {
        round.abort();
        return;
      }
      await woken;
    }
  };
}

const [A, B] = await Promise.all([startServer({ config: CONFIG }), startServer({ config: CONFIG })]);
try {
  const alice = user(A, 'alice');
  const bob = user(B, 'bob');
  const arrivedOnB = arrivals(B, bob.userId);
  const { room_id } = await A.hs.rooms.createRoom(alice, { room_alias_name: 'bench' });
  await B.hs.rooms.join(bob, `#bench:${A.serverName}`);

  // 1. Throughput: a burst of messages on A, timed until the last one is stored on B.
  const N = 2000;
  const t0 = performance.now();
  let last = '';
  for (let i = 0; i < N; i++) last = (await A.hs.rooms.sendEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: `burst ${i}` })).event_id;
  const tLocal = performance.now();
  await arrivedOnB(last);
  const tRemote = performance.now();
  const localRate = N / ((tLocal - t0) / 1000);
  const replicated = N / ((tRemote - t0) / 1000);
  console.log(`replication A -> B (${N} messages, batches of up to 50 PDUs per transaction)`);
  console.log(`  replicated to B            ${fmt(replicated)} events/s`);
  console.log(`  baseline: persisted on A   ${fmt(localRate)} events/s   (ratio ${(replicated / localRate).toFixed(2)})`);
  // The sends above block A's event loop, so nothing goes out before the last one: this is the
  // rate of the federation path alone (A's sender, B's checks and persist).
  console.log(`  sent and stored on B after A's last send ${fmt(N / ((tRemote - tLocal) / 1000))} events/s`);

  // 2. Backlog: events queued on A while B was backing off (as after an outage), then sent at
  // once: the federation path's own rate (A's sender, B's checks and persist), batched by what
  // is queued. Baseline: the same events persisted on A.
  const K = 5000;
  // Hold only once A's sender is idle: an acknowledgement still in flight would clear the backoff.
  const fed = A.hs.storage.federation;
  while (fed.queueDepth(B.serverName) > 0 || fed.destination(B.serverName).pending_txn_id !== null) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
  fed.setRetry(B.serverName, Date.now(), 600_000);
  const tq = performance.now();
  let lastHeld = '';
  for (let i = 0; i < K; i += 100) {
    const ids = await Promise.all(Array.from({ length: 100 }, (_, j) =>
      A.hs.rooms.sendEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: `backlog ${i + j}` })));
    lastHeld = ids[ids.length - 1]!.event_id;
  }
  const queuedRate = K / ((performance.now() - tq) / 1000);
  if (B.hs.storage.events.hasEvent(lastHeld)) throw new Error('the backlog was sent before its release: the hold did not hold');
  // BENCH_CPU_PROFILE=file: a CPU profile of the drain alone (both servers run in this process).
  const profileTo = process.env.BENCH_CPU_PROFILE;
  const session = profileTo ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const td = performance.now();
  A.hs.federation!.outbound.peerIsUp(B.serverName);
  await arrivedOnB(lastHeld);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileTo!, JSON.stringify(profile));
    session.disconnect();
  }
  const drained = K / ((performance.now() - td) / 1000);
  console.log(`\nbacklog of ${K} events queued on A during a backoff, then sent to B`);
  console.log(`  delivered and stored on B  ${fmt(drained)} events/s`);
  console.log(`  baseline: persisted on A   ${fmt(queuedRate)} events/s   (ratio ${(drained / queuedRate).toFixed(2)})`);

  // 3. Latency: one message at a time, from the send on A until B has stored it.
  const M = 200;
  const lat: number[] = [];
  for (let i = 0; i < M; i++) {
    const s = performance.now();
    const id = (await A.hs.rooms.sendEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: `ping ${i}` })).event_id;
    await arrivedOnB(id);
    lat.push(performance.now() - s);
  }
  // Baseline: one signed federation request/response between the same two servers.
  const rt: number[] = [];
  const client = A.hs.federation!.client;
  for (let i = 0; i < M; i++) {
    const s = performance.now();
    await client.request(B.serverName, 'GET', `/_matrix/federation/v1/query/directory?room_alias=${encodeURIComponent(`#none:${B.serverName}`)}`);
    rt.push(performance.now() - s);
  }
  console.log(`\nsend-to-remote-delivery latency (${M} messages, one at a time)`);
  console.log(`  median ${fmt(pct(lat, 0.5), 6)} ms   p95 ${fmt(pct(lat, 0.95), 6)} ms`);
  console.log(`  baseline: signed federation round trip median ${fmt(pct(rt, 0.5), 6)} ms   (ratio ${(pct(lat, 0.5) / pct(rt, 0.5)).toFixed(2)})`);
  report({
    name: 'federation A -> B replication', value: replicated, unit: 'events/s', baseline: `${localRate.toFixed(0)} events/s persisted on A`,
    ratio: replicated / localRate, target: '>= 4,000 events/s', met: replicated >= 4000,
  });
  report({
    name: 'federation A -> B backlog drain', value: drained, unit: 'events/s', baseline: `${queuedRate.toFixed(0)} events/s persisted on A`,
    ratio: drained / queuedRate, target: '>= 4,000 events/s', met: drained >= 4000,
  });
  report({ name: 'send -> stored on B, median', value: pct(lat, 0.5), unit: 'ms', baseline: `${pct(rt, 0.5).toFixed(2)} ms signed federation round trip`, ratio: pct(lat, 0.5) / pct(rt, 0.5) });
} finally {
  await B.close();
  await A.close();
}
