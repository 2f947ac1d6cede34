// An acknowledged event is never lost, even when the process is killed with SIGKILL,
// and a retried PUT with the same txnId answers the same event id after a restart.
import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/process.js';
import { freePort, Client, enc, http } from '../helpers/server.js';

t.test('events acknowledged before kill -9 are all there after a restart, txnIds still idempotent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const gen = runCli(['--config', 'hs.yaml', '--generate-config', '--server-name', `localhost:${port}`, '--port', String(port)], dir);
  t.equal(await gen.exit, 0);
  // The generated config has Synapse's 0.2 msg/s limit; this test sends a burst.
  const cfgPath = join(dir, 'hs.yaml');
  const cfg = YAML.parse(readFileSync(cfgPath, 'utf8'));
  writeFileSync(cfgPath, YAML.stringify({ ...cfg, rate_limiting: { per_second: 1000, burst: 1000 } }));

  let run = runCli(['--config', 'hs.yaml'], dir);
  t.teardown(() => run.kill('SIGKILL'));
  await run.ready;
  const server = { url: `http://127.0.0.1:${port}` };
  const alice = await Client.register(server, 'alice');
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;
  const first = await alice.put(`/rooms/${enc(room)}/send/m.room.message/txn-1`, { msgtype: 'm.text', body: 'first' });
  t.equal(first.status, 200);
  const acked: string[] = [first.body.event_id];
  // Many sends in flight at once; the kill comes right after the last acknowledgement.
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) => alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: `m${i}` })),
  );
  for (const r of results) {
    t.equal(r.status, 200);
    acked.push(r.body.event_id);
  }
  run.kill('SIGKILL');
  await run.exit;

  run = runCli(['--config', 'hs.yaml'], dir);
  await run.ready;
  const again = await alice.put(`/rooms/${enc(room)}/send/m.room.message/txn-1`, { msgtype: 'm.text', body: 'first' });
  t.equal(again.status, 200);
  t.equal(again.body.event_id, first.body.event_id, 'the retried txnId answers the same event id');

  const page = await http(server.url, 'GET', `/_matrix/client/api/v1/rooms/${enc(room)}/messages?dir=b&limit=100`, { token: alice.token });
  t.equal(page.status, 200);
  const seen = new Set((page.body.chunk as { event_id: string }[]).map((e) => e.event_id));
  t.ok(acked.every((id) => seen.has(id)), `all ${acked.length} acknowledged events survived`);
  const bodies = (page.body.chunk as { content: { body?: string } }[]).filter((e) => e.content.body === 'first');
  t.equal(bodies.length, 1, 'the idempotent send was stored once');
  run.kill('SIGTERM');
  t.equal(await run.exit, 0);
});
