// The full-text index is filled after commit from a stored stream position: whatever was committed
// but not yet indexed when the process died (kill -9) is indexed after the restart, once.
import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/process.js';
import { freePort, Client, enc } from '../helpers/server.js';

t.test('messages committed before kill -9 but not indexed yet are found by /search after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-search-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const gen = runCli(['--config', 'hs.yaml', '--generate-config', '--server-name', `localhost:${port}`, '--port', String(port)], dir);
  t.equal(await gen.exit, 0);
  const cfgPath = join(dir, 'hs.yaml');
  const cfg = YAML.parse(readFileSync(cfgPath, 'utf8'));
  writeFileSync(cfgPath, YAML.stringify({ ...cfg, rate_limiting: { per_second: 1000, burst: 1000 } }));

  let run = runCli(['--config', 'hs.yaml'], dir);
  t.teardown(() => run.kill('SIGKILL'));
  await run.ready;
  const server = { url: `http://127.0.0.1:${port}` };
  const alice = await Client.register(server, 'alice');
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;
  const sent = await Promise.all(
    Array.from({ length: 20 }, (_, i) => alice.put(`/rooms/${enc(room)}/send/m.room.message/t${i}`, { msgtype: 'm.text', body: `zebra number${i}` })),
  );
  for (const r of sent) t.equal(r.status, 200);
  run.kill('SIGKILL');
  await run.exit;

  // The state a crash between the commit and the indexer's run leaves: events stored, index behind.
  const dbPath = join(dir, typeof cfg.database?.path === 'string' ? cfg.database.path : 'homeserver.db');
  const db = new Database(dbPath);
  db.exec('DELETE FROM event_search; UPDATE search_position SET stream_ordering = 0');
  db.close();

  run = runCli(['--config', 'hs.yaml'], dir);
  await run.ready;
  const res = await alice.post('/search', { search_categories: { room_events: { search_term: 'zebra', order_by: 'recent', filter: { limit: 100 } } } });
  t.equal(res.status, 200);
  const re = res.body.search_categories.room_events;
  t.equal(re.count, 20, 'every committed message is indexed, once');
  const found = new Set((re.results as { result: { event_id: string } }[]).map((r) => r.result.event_id));
  t.ok(sent.every((r) => found.has(r.body.event_id)), 'each acknowledged message is found');
  const one = await alice.post('/search', { search_categories: { room_events: { search_term: 'number7' } } });
  t.equal(one.body.search_categories.room_events.count, 1);
  run.kill('SIGTERM');
  t.equal(await run.exit, 0);
});
