// Application service figures: events per second delivered to one service, and the delay from
// a client's send to the service receiving the event. Baseline in the same run: the same sends
// with no service registered (the cost of the homeserver alone). Run: npx tsx bench/appservice.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Client, enc } from '../spec-tests/helpers/server.js';
import { report } from './report.js';
import { startReceiver, writeRegistration } from '../spec-tests/appservice/helpers.js';

const N = 2000;
/** The backlog drained at once. */
const M = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'hs-bench-as-'));
const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function sendAll(server: { url: string }, room: string, alice: Client, n: number): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; i < n / 8; i++) await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: `${w}-${i}` });
  }));
  return performance.now() - start;
}

try {
  // Baseline: no service.
  const plain = await startServer({ dir: join(dir, 'plain') });
  const pa = await Client.register(plain, 'alice');
  const proom = (await pa.post('/createRoom', { visibility: 'public' })).body.room_id;
  const baseMs = await sendAll(plain, proom, pa, N);
  await plain.close();

  const receiver = await startReceiver();
  const arrived = new Map<string, number>();
  receiver.onTxn = (txn) => {
    const now = performance.now();
    for (const e of txn.events) if (!arrived.has(e.event_id)) arrived.set(e.event_id, now);
    return { status: 200, body: {} };
  };
  const reg = writeRegistration(dir, 'bench', {
    url: receiver.url, as_token: 'bench-as', hs_token: 'bench-hs', sender_localpart: 'benchbot',
    namespaces: { users: [{ exclusive: true, regex: '@bench_.*' }], aliases: [], rooms: [{ exclusive: false, regex: '!.*' }] },
  });
  const server = await startServer({ dir: join(dir, 'as'), config: { app_service_config_files: [reg] } });
  const alice = await Client.register(server, 'alice');
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id;
  const t0 = performance.now();
  const sendMs = await sendAll(server, room, alice, N);
  while (arrived.size < N + 5) await new Promise((r) => setTimeout(r, 5));
  const allMs = performance.now() - t0;

  // Latency: one message at a time, send -> arrival at the service.
  const lat: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    const id = (await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: `l${i}` })).body.event_id;
    while (!arrived.has(id)) await new Promise((r) => setImmediate(r));
    lat.push(arrived.get(id)! - s);
  }
  const txns = new Set(receiver.txns.map((x) => x.txnId)).size;

  // Backlog: events queued while the service was backing off (as after an outage), then
  // delivered at once: the sender's own rate, batched by what is queued.
  const service = server.hs.appservices.registry.all()[0]!;
  const requester = { userId: alice.userId!, tokenHash: 'bench', appserviceId: null, rateLimited: false, isGuest: false };
  // Hold only once the sender is idle: an acknowledgement still in flight would clear the backoff.
  const asStore = server.hs.storage.appservice;
  while (asStore.queueDepth(service.id) > 0 || asStore.oldestTxn(service.id) !== undefined) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
  asStore.setBackoff(service.id, 600_000, Date.now() + 600_000, 'held by the bench');
  const backlog: string[] = [];
  const tq = performance.now();
  for (let i = 0; i < M; i++) backlog.push((await server.hs.rooms.sendEvent(requester, room, 'm.room.message', { msgtype: 'm.text', body: `b${i}` })).event_id);
  const queueMs = performance.now() - tq;
  if (backlog.some((id) => arrived.has(id))) throw new Error('the backlog was delivered before its release: the hold did not hold');
  const txnsBefore = new Set(receiver.txns.map((x) => x.txnId)).size;
  const td = performance.now();
  server.hs.appservices.scheduler(service.id)!.retryNow();
  // Delivery is in order: the last event arriving means the backlog is through (checked below).
  while (!arrived.has(backlog[M - 1]!)) await new Promise((r) => setTimeout(r, 5));
  const drainMs = performance.now() - td;
  if (!backlog.every((id) => arrived.has(id))) throw new Error('the backlog arrived out of order or incomplete');
  const drainTxns = new Set(receiver.txns.map((x) => x.txnId)).size - txnsBefore;

  console.log(`events delivered to one service: ${N} messages from 8 concurrent senders`);
  console.log(`  delivered       ${((N / allMs) * 1000).toFixed(0).padStart(6)} events/s  (${txns} transactions, ${(N / txns).toFixed(1)} events per transaction)`);
  console.log(`  sends accepted  ${((N / sendMs) * 1000).toFixed(0).padStart(6)} events/s  baseline without a service ${((N / baseMs) * 1000).toFixed(0)} events/s  ratio ${(baseMs / sendMs).toFixed(2)}`);
  console.log(`backlog of ${M} events queued during a backoff, then delivered`);
  console.log(`  delivered       ${((M / drainMs) * 1000).toFixed(0).padStart(6)} events/s  (${drainTxns} transactions, ${(M / drainTxns).toFixed(1)} events per transaction)`);
  console.log(`  baseline: queued (persisted) on the server ${((M / queueMs) * 1000).toFixed(0)} events/s  ratio ${(queueMs / drainMs).toFixed(2)}`);
  console.log('send -> received by the service (200 samples, one at a time)');
  console.log(`  p50 ${pct(lat, 50).toFixed(2)} ms   p99 ${pct(lat, 99).toFixed(2)} ms`);
  report({
    name: 'application-service delivery', value: (N / allMs) * 1000, unit: 'events/s', baseline: `${((N / baseMs) * 1000).toFixed(0)} events/s sends without a service`,
    ratio: (N / allMs) * 1000 / ((N / baseMs) * 1000),
  });
  const drainRate = (M / drainMs) * 1000;
  report({
    name: `application-service backlog drain (${(M / drainTxns).toFixed(0)} events per transaction)`, value: drainRate, unit: 'events/s',
    baseline: `${((M / queueMs) * 1000).toFixed(0)} events/s queued (persisted) on the server`, ratio: queueMs / drainMs,
    target: '>= 10,000 events/s, batched', met: drainRate >= 10_000,
  });
  await server.close();
  await receiver.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
