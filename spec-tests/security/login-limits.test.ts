// Issue 10 item 7: failed logins are rate-limited per user and per address; hashing is bounded.
import t from 'tap';
import { startServer, Client, http } from '../helpers/server.js';
import { rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, scryptSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { Agent, setGlobalDispatcher } from 'undici';

const LOGIN = '/_matrix/client/api/v1/login';
const login = (url: string, user: string, password: string) =>
  http(url, 'POST', LOGIN, { body: { type: 'm.login.password', user, password } });

t.test('20+ wrong passwords for one user answer 429 with retry_after_ms; another user still logs in', async (t) => {
  // The default burst (3) with a refill slow enough that a loaded machine cannot refill a token mid-test.
  const server = await startServer({ config: { rate_limiting: { per_second: 1000, burst: 1000, login_failures_per_second: 0.001 } } });
  t.teardown(() => server.close());
  await Client.register(server, 'victim', 'victim-password');
  await Client.register(server, 'other', 'other-password');

  const statuses: number[] = [];
  let limited: any;
  for (let i = 0; i < 25; i++) {
    const res = await login(server.url, 'victim', `guess-${i}`);
    statuses.push(res.status);
    if (res.status === 429) limited = res.body;
    else t.equal(res.status, 403, `guess ${i} is refused`);
  }
  t.ok(statuses.slice(0, 3).every((s) => s === 403), 'the first few guesses are answered 403');
  t.ok(statuses.slice(5).every((s) => s === 429), 'then every guess is 429');
  t.equal(limited.errcode, 'M_LIMIT_EXCEEDED');
  t.type(limited.retry_after_ms, 'number');
  t.ok(limited.retry_after_ms > 0, 'retry_after_ms says when to come back');
  t.equal((await login(server.url, 'victim', 'victim-password')).status, 429, 'even the right password waits: guessing is stopped');
  t.equal((await login(server.url, '@VICTIM:' + server.serverName, 'x')).status, 429, 'another spelling of the same user counts too');

  const ok = await login(server.url, 'other', 'other-password');
  t.equal(ok.status, 200, 'a correct password for another user still works');
  t.type(ok.body.access_token, 'string');
});

t.test('failed logins are limited per client address across user names', async (t) => {
  const server = await startServer({ config: { rate_limiting: { per_second: 1000, burst: 1000, login_address_failures_burst: 5, login_address_failures_per_second: 0.01 } } });
  t.teardown(() => server.close());
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await login(server.url, `user${i}`, 'nope')).status);
  t.same(statuses.slice(0, 5), [403, 403, 403, 403, 403], 'a few unknown users are refused');
  t.ok(statuses.slice(5).every((s) => s === 429), 'then the address is limited, whatever the user name');
});

t.test('a correct login does not use up the failure budget', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  await Client.register(server, 'daily', 'daily-password');
  for (let i = 0; i < 12; i++) t.equal((await login(server.url, 'daily', 'daily-password')).status, 200, `login ${i}`);
});

t.test('100 parallel bad logins neither stop the server nor fail anyone else', async (t) => {
  const server = await startServer({ config: { rate_limiting: { per_second: 1000, burst: 1000, login_address_failures_burst: 1000 } } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice', 'alice-password');
  const storm = Array.from({ length: 100 }, (_, i) => login(server.url, `nobody${i % 40}`, `bad-${i}`));
  const rooms = await http(server.url, 'GET', '/_matrix/client/api/v1/publicRooms');
  t.equal(rooms.status, 200, 'publicRooms answers during the storm');
  const sync = await alice.get('/initialSync?limit=1');
  t.equal(sync.status, 200, 'initialSync completes during the storm');
  const results = await Promise.all(storm);
  t.ok(results.every((r) => r.status === 403 || r.status === 429), 'every bad login is 403 or 429');
  t.ok(results.every((r) => typeof r.body.errcode === 'string'), 'each a Matrix error');
  t.ok(results.filter((r) => r.status === 429).every((r) => typeof r.body.retry_after_ms === 'number'), '429s carry retry_after_ms');
  t.equal((await login(server.url, 'alice', 'alice-password')).status, 200, 'the real user logs in afterwards');
});

t.test('password hashes stored before (other scrypt parameters) still verify after a restart', async (t) => {
  let server = await startServer();
  const { dir, port } = server;
  t.teardown(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await Client.register(server, 'legacy', 'first-password');
  const userId = `@legacy:${server.serverName}`;
  await server.stop();
  // A hash as a server configured with N=2^14 would have written it: scrypt$N$r$p$salt$key.
  const salt = randomBytes(16);
  const key = scryptSync('old-password', salt, 32, { N: 1 << 14, r: 8, p: 1 });
  const db = new Database(join(dir, readdirSync(dir).find((f) => f.endsWith('.db'))!));
  db.prepare('UPDATE users SET password_hash = ? WHERE user_id = ?').run(['scrypt', 1 << 14, 8, 1, salt.toString('base64'), key.toString('base64')].join('$'), userId);
  db.close();
  server = await startServer({ dir, port });
  setGlobalDispatcher(new Agent()); // sockets kept alive to the stopped server are dead
  t.equal((await login(server.url, 'legacy', 'old-password')).status, 200, 'the old hash verifies');
  t.equal((await login(server.url, 'legacy', 'first-password')).status, 403, 'and only with its own password');
});
