// Build hygiene an operator notices: GET /, --version, ":memory:", --ephemeral.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, http, freePort, Client } from '../helpers/server.js';
import { runCli } from '../helpers/process.js';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));

t.test('GET / names the server, its version and its server_name', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const res = await http(server.url, 'GET', '/');
  t.equal(res.status, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  t.equal(res.body.server, pkg.name);
  t.equal(res.body.version, pkg.version);
  t.equal(res.body.server_name, server.serverName);
});

t.test('--version prints the package version and exits 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-version-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = runCli(['--version'], dir);
  t.equal(await run.exit, 0);
  t.equal(run.output().trim(), pkg.version);
  t.same(readdirSync(dir), [], 'writes nothing');
});

t.test('database.path ":memory:" keeps the database in memory: no file named :memory:', async (t) => {
  const server = await startServer({ config: { database: { path: ':memory:' } } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  t.equal((await alice.post('/createRoom', {})).status, 200);
  t.notOk(existsSync(join(server.dir, ':memory:')), 'not in the config folder');
  t.notOk(existsSync(':memory:'), 'not in the working directory');
});

t.test('--ephemeral runs with nothing written to disk and removes its media folder on exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-eph-cwd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const run = runCli(['--ephemeral', '--port', String(port)], dir);
  t.teardown(() => run.kill('SIGKILL'));
  await run.ready;
  const reg = await http(`http://127.0.0.1:${port}`, 'POST', '/_matrix/client/api/v1/register', { body: { type: 'm.login.password', user: 'alice', password: 'pw' } });
  t.equal(reg.status, 200);
  t.equal(reg.body.user_id, `@alice:localhost:${port}`);
  const media = /media in (\S+) \(deleted on exit\)/.exec(run.output())?.[1];
  t.ok(media && existsSync(media), 'media goes to a temp folder');
  run.kill('SIGTERM');
  t.equal(await run.exit, 0);
  t.same(readdirSync(dir), [], 'nothing written in the working directory (no config, key or database)');
  t.notOk(existsSync(media!), 'the media folder is gone');
});
