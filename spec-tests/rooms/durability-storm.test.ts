// Group commit (rooms/room-locks.ts) answers a send only after the transaction holding its event
// has committed. This kills a real server process with SIGKILL in the middle of a storm of
// 32 clients sending into one room, restarts it, and checks on the wire that every acknowledged
// event is there, each client's messages are in the order it sent them, and retrying the txnIds
// that were in flight at the kill stores nothing twice.
import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/process.js';
import { freePort, Client, enc } from '../helpers/server.js';

const CLIENTS = 32;
/** The kill comes once this many sends have been acknowledged (while the rest are in flight). */
const KILL_AFTER = 400;

t.test('kill -9 during a 32-client send storm loses no acknowledged event, keeps order, and txnId retries are not duplicated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-storm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const gen = runCli(['--config', 'hs.yaml', '--generate-config', '--server-name', `localhost:${port}`, '--port', String(port)], dir);
  t.equal(await gen.exit, 0);
  const cfgPath = join(dir, 'hs.yaml');
  const cfg = YAML.parse(readFileSync(cfgPath, 'utf8'));
  writeFileSync(cfgPath, YAML.stringify({ ...cfg, rate_limiting: { per_second: 1e6, burst: 1e6 } }));

  let run = runCli(['--config', 'hs.yaml'], dir);
  t.teardown(() => run.kill('SIGKILL'));
  await run.ready;
  const server = { url: `http://127.0.0.1:${port}` };
  const owner = await Client.register(server, 'owner');
  const room = (await owner.post('/createRoom', { visibility: 'public' })).body.room_id as string;
  const clients: Client[] = [];
  for (let k = 0; k < CLIENTS; k++) {
    const c = await Client.register(server, `storm${k}`);
    t.equal((await c.post(`/join/${enc(room)}`)).status, 200);
    clients.push(c);
  }

  // Each client sends one message at a time (txnId k-i, body k:i) until the server dies.
  const acked: { k: number; i: number; eventId: string }[] = [];
  const inFlight = new Map<number, number>();
  let killed = false;
  const killedNow = new Promise<void>((resolve) => {
    const storm = clients.map(async (c, k) => {
      for (let i = 0; !killed; i++) {
        inFlight.set(k, i);
        let res;
        try {
          res = await c.put(`/rooms/${enc(room)}/send/m.room.message/${k}-${i}`, { msgtype: 'm.text', body: `${k}:${i}` });
        } catch {
          return; // the connection died with the server: this send's fate is unknown
        }
        if (res.status !== 200) throw new Error(`send ${k}-${i}: ${res.status} ${res.text}`);
        acked.push({ k, i, eventId: res.body.event_id });
        inFlight.delete(k);
        if (acked.length >= KILL_AFTER && !killed) {
          killed = true;
          run.kill('SIGKILL');
          resolve();
        }
      }
    });
    void Promise.all(storm);
  });
  await killedNow;
  await run.exit;
  const ackedIds = new Set(acked.map((a) => a.eventId));
  t.ok(acked.length >= KILL_AFTER, `${acked.length} sends acknowledged before the kill`);

  run = runCli(['--config', 'hs.yaml'], dir);
  await run.ready;

  // Retry what was in flight: the same txnId must not store a second event.
  const retried = new Map<string, string>();
  for (const [k, i] of inFlight) {
    const res = await clients[k]!.put(`/rooms/${enc(room)}/send/m.room.message/${k}-${i}`, { msgtype: 'm.text', body: `${k}:${i}` });
    t.equal(res.status, 200, `retry of ${k}-${i} answered`);
    retried.set(`${k}:${i}`, res.body.event_id);
  }
  // And an acknowledged one answers its original event id.
  const first = acked[0]!;
  const again = await clients[first.k]!.put(`/rooms/${enc(room)}/send/m.room.message/${first.k}-${first.i}`, { msgtype: 'm.text', body: `${first.k}:${first.i}` });
  t.equal(again.body.event_id, first.eventId, 'a retried acknowledged txnId answers the same event id');

  // The whole timeline, oldest first.
  const timeline: { event_id: string; type: string; content: { body?: string } }[] = [];
  let from = (await owner.get(`/rooms/${enc(room)}/messages?dir=b&limit=1`)).body.start as string;
  for (;;) {
    const page = await owner.get(`/rooms/${enc(room)}/messages?dir=b&limit=500&from=${enc(from)}`);
    t.equal(page.status, 200);
    if (page.body.chunk.length === 0) break;
    timeline.push(...page.body.chunk);
    from = page.body.end;
  }
  timeline.reverse();
  const seen = new Set(timeline.map((e) => e.event_id));
  const lost = [...ackedIds].filter((id) => !seen.has(id));
  t.same(lost, [], `all ${ackedIds.size} acknowledged events survived the kill`);
  for (const [body, id] of retried) t.ok(seen.has(id), `the retried ${body} is in the timeline`);

  const bodies = timeline.filter((e) => e.type === 'm.room.message').map((e) => e.content.body!);
  const counts = new Map<string, number>();
  for (const b of bodies) counts.set(b, (counts.get(b) ?? 0) + 1);
  t.same([...counts].filter(([, n]) => n > 1), [], 'no message is stored twice');
  const lastOf = new Map<number, number>();
  let ordered = true;
  for (const b of bodies) {
    const [k, i] = b.split(':').map(Number) as [number, number];
    if ((lastOf.get(k) ?? -1) >= i) ordered = false;
    lastOf.set(k, i);
  }
  t.ok(ordered, "each client's messages are in the order it sent them");
  for (const a of acked) {
    if ((lastOf.get(a.k) ?? -1) < a.i) t.fail(`${a.k}:${a.i} missing`);
  }
  run.kill('SIGTERM');
  t.equal(await run.exit, 0);
});
