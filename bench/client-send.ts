// Client API figures: messages sent per second over HTTP (sequential, 8 concurrent, and 32 clients
// each PUTting with its own access token and txnIds into one room),
// and the delay from a send to its delivery on a waiting /events long-poll (p50/p99).
// Baseline in the same run: a bare Fastify JSON route. Run: npx tsx bench/client-send.ts
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { startServer, Client, enc } from '../spec-tests/helpers/server.js';
import { report } from './report.js';

const agent = new Agent({ connections: 64 });
const SEQ = 1000;
const CONC = 8;
const PER = 250;
const CLIENTS = 32;
const PER_CLIENT = 100;

async function post(url: string, body: unknown): Promise<any> {
  const res = await request(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, dispatcher: agent });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${text}`);
  return JSON.parse(text);
}

async function put(url: string, body: unknown): Promise<any> {
  const res = await request(url, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, dispatcher: agent });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${text}`);
  return JSON.parse(text);
}

async function rate(n: number, parallel: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: parallel }, async (_, w) => {
    for (let i = 0; i < n; i++) await fn(w * n + i);
  }));
  return (n * parallel) / ((performance.now() - start) / 1000);
}

const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// Baseline: a bare Fastify route that parses JSON and answers JSON.
const bare = Fastify();
bare.post('/send', async () => ({ event_id: '$x:localhost' }));
bare.put('/send/:txnId', async () => ({ event_id: '$x:localhost' }));
await bare.listen({ host: '127.0.0.1', port: 0 });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/send`;
await rate(200, 1, () => post(bareUrl, { msgtype: 'm.text', body: 'warm' }));
const bareSeq = await rate(SEQ, 1, () => post(bareUrl, { msgtype: 'm.text', body: 'hello' }));
const bareConc = await rate(PER, CONC, () => post(bareUrl, { msgtype: 'm.text', body: 'hello' }));
await rate(PER_CLIENT, CLIENTS, (i) => put(`${bareUrl}/w${i}`, { msgtype: 'm.text', body: 'warm' }));
const bare32 = await rate(PER_CLIENT, CLIENTS, (i) => put(`${bareUrl}/t${i}`, { msgtype: 'm.text', body: `c${i}` }));
await bare.close();

const server = await startServer({ config: { rate_limiting: { per_second: 1e6, burst: 1e6 } } });
try {
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id as string;
  await bob.post(`/join/${enc(room)}`);
  const sendUrl = `${server.url}/_matrix/client/api/v1/rooms/${enc(room)}/send/m.room.message?access_token=${alice.token}`;
  await rate(200, 1, () => post(sendUrl, { msgtype: 'm.text', body: 'warm' }));
  const seq = await rate(SEQ, 1, (i) => post(sendUrl, { msgtype: 'm.text', body: `m${i}` }));
  const conc = await rate(PER, CONC, (i) => post(sendUrl, { msgtype: 'm.text', body: `c${i}` }));
  // 32 clients, each its own user and access token, PUT with a fresh txnId per message.
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, k) => Client.register(server, `sender${k}`)));
  for (const c of clients) await c.post(`/join/${enc(room)}`);
  const putUrl = (k: number, txn: string) =>
    `${server.url}/_matrix/client/api/v1/rooms/${enc(room)}/send/m.room.message/${txn}?access_token=${clients[k]!.token}`;
  const commitsBefore = { ...server.hs.persister.locks.stats };
  const c32 = await rate(PER_CLIENT, CLIENTS, (i) => put(putUrl(Math.floor(i / PER_CLIENT), `t${i}`), { msgtype: 'm.text', body: `p${i}` }));
  const commits = server.hs.persister.locks.stats.commits - commitsBefore.commits;
  const jobs = server.hs.persister.locks.stats.jobs - commitsBefore.jobs;

  // Latency: bob waits on /events; alice sends; time until bob's poll answers with the message.
  let from = (await bob.get('/initialSync?limit=0')).body.end as string;
  from = (await bob.get(`/events?from=${enc(from)}&timeout=0`)).body.end;
  const lat: number[] = [];
  for (let i = 0; i < 300; i++) {
    const poll = request(`${server.url}/_matrix/client/api/v1/events?from=${enc(from)}&timeout=10000&access_token=${bob.token}`, { dispatcher: agent });
    await new Promise((r) => setTimeout(r, 2));
    const t0 = performance.now();
    await post(sendUrl, { msgtype: 'm.text', body: `l${i}` });
    const res = await poll;
    const body = JSON.parse(await res.body.text());
    lat.push(performance.now() - t0);
    from = body.end;
  }
  // 1000 idle long-polls: memory while they wait (client and server share this process).
  const pollAgent = new Agent({ connections: 1100 });
  global.gc?.();
  const before = process.memoryUsage();
  const idle = Array.from({ length: 1000 }, () =>
    request(`${server.url}/_matrix/client/api/v1/events?from=${enc(from)}&timeout=20000&access_token=${bob.token}`, { dispatcher: pollAgent })
      .then((r) => r.body.text()),
  );
  while (server.hs.notifier.waitingCount() < 1000) await new Promise((r) => setTimeout(r, 20));
  global.gc?.();
  const during = process.memoryUsage();
  await post(sendUrl, { msgtype: 'm.text', body: 'wake everyone' });
  await Promise.all(idle);
  await pollAgent.close();

  const f = (x: number) => x.toFixed(0).padStart(7);
  console.log('messages sent through PUT/POST /rooms/{id}/send (each: auth, build, sign, persist, wake)');
  console.log(`  sequential          ${f(seq)} msg/s   baseline bare Fastify ${f(bareSeq)} req/s   ratio ${(seq / bareSeq).toFixed(2)}`);
  console.log(`  ${CONC} concurrent clients ${f(conc)} msg/s   baseline bare Fastify ${f(bareConc)} req/s   ratio ${(conc / bareConc).toFixed(2)}`);
  console.log(`  ${CLIENTS} clients PUT      ${f(c32)} msg/s   baseline bare Fastify PUT ${f(bare32)} req/s   ratio ${(c32 / bare32).toFixed(2)} (target >= 0.5); ${(jobs / commits).toFixed(1)} events per commit`);
  console.log('send -> delivery on a waiting /events long-poll (300 samples)');
  console.log(`  p50 ${pct(lat, 50).toFixed(2)} ms   p99 ${pct(lat, 99).toFixed(2)} ms`);
  const kb = (n: number) => (n / 1024).toFixed(1);
  console.log('1000 idle /events long-polls (one message then wakes them all)');
  console.log(`  heap +${kb((during.heapUsed - before.heapUsed) / 1000)} KB per poll, RSS +${kb((during.rss - before.rss) / 1000)} KB per poll (client sockets included)`);
  report({ name: 'sequential sends over HTTP', value: seq, unit: 'msg/s', baseline: `${bareSeq.toFixed(0)} req/s bare Fastify`, ratio: seq / bareSeq });
  report({
    name: `${CLIENTS} clients PUT send into one room`, value: c32, unit: 'msg/s', baseline: `${bare32.toFixed(0)} req/s bare Fastify JSON PUT`,
    ratio: c32 / bare32, target: 'ratio >= 0.5', met: c32 / bare32 >= 0.5,
  });
  report({ name: `${CONC} concurrent clients sending`, value: conc, unit: 'msg/s', baseline: `${bareConc.toFixed(0)} req/s bare Fastify`, ratio: conc / bareConc });
  report({ name: 'send -> waiting /events p99', value: pct(lat, 99), unit: 'ms', baseline: `p50 ${pct(lat, 50).toFixed(2)} ms`, target: '< 3 ms', met: pct(lat, 99) < 3 });
  report({ name: 'idle /events long-poll, heap each', value: (during.heapUsed - before.heapUsed) / 1000 / 1024, unit: 'KB' });
} finally {
  await server.close();
  await agent.close();
}
