// Transactions to a service: persisted before sending, strictly ordered, retried with the same
// txnId and body until acknowledged, and nothing lost across a restart.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Client, http, enc, freePort } from '../helpers/server.js';
import { openHomeserver } from '../../src/homeserver.js';
import { loadConfig, ConfigError } from '../../src/config.js';
import { startReceiver, writeRegistration, FAST_RETRY, waitFor, type Receiver } from './helpers.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-as-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function registration(dir: string, receiver: Receiver, extra: Record<string, unknown> = {}): string {
  return writeRegistration(dir, 'bridge', {
    id: 'bridge', url: receiver.url, as_token: 'bridge-as', hs_token: 'bridge-hs', sender_localpart: 'bridgebot',
    namespaces: { users: [{ exclusive: true, regex: '@bridge_.*' }], aliases: [], rooms: [] }, ...extra,
  });
}

/** A room the service watches (its bot is a member) and a user who talks in it. */
async function watchedRoom(server: { url: string }) {
  const alice = await Client.register(server, 'alice');
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id as string;
  await new Client(server.url, 'bridge-as').post(`/join/${enc(room)}`);
  return { alice, room };
}

t.test('a service failing the first attempts gets the same txnId again and every event exactly once, in order', async (t) => {
  const dir = tempDir(t);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const failures = new Map<string, number>();
  receiver.onTxn = (txn, attempt) => {
    failures.set(txn.txnId, attempt);
    if (attempt <= 2) return { status: 500, body: { errcode: 'M_UNKNOWN' } };
    if (attempt === 3) return { status: 200, body: { errcode: 'M_FORBIDDEN', error: 'Bad token supplied,' } }; // matrix-appservice 0.2
    return { status: 200, body: {} };
  };
  const server = await startServer({ config: { app_service_config_files: [registration(dir, receiver)], appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  const { alice, room } = await watchedRoom(server);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push((await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: `n${i}` })).body.event_id);
  await waitFor(() => ids.every((id) => receiver.delivered().some((e) => e.event_id === id)), 'all 20 messages acknowledged');

  const firstTxn = receiver.txns[0];
  const retries = receiver.txns.filter((x) => x.txnId === firstTxn.txnId);
  t.ok(retries.length >= 4, 'the first transaction was retried until acknowledged');
  t.ok(retries.every((x) => JSON.stringify(x.events) === JSON.stringify(firstTxn.events)), 'with the same events each time');
  const delivered = receiver.delivered().map((e) => e.event_id);
  t.same(delivered.filter((id) => ids.includes(id)), ids, 'every message exactly once, in order');
  t.equal(new Set(delivered).size, delivered.length, 'no event twice');
  const txnIds = [...new Set(receiver.txns.map((x) => Number(x.txnId)))];
  t.same(txnIds, [...txnIds].sort((a, b) => a - b), 'transaction ids only go up');
  t.ok(receiver.txns.some((x) => x.events.length > 1), 'events that waited were batched');
});

t.test('a restart in the middle of a backoff loses nothing and resends the same transaction', async (t) => {
  const dir = tempDir(t);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  let up = false;
  receiver.onTxn = () => (up ? { status: 200, body: {} } : { status: 503 });
  const reg = registration(dir, receiver);
  const port = await freePort();
  const serverDir = join(dir, 'hs');
  const config = { app_service_config_files: [reg], appservice: { ...FAST_RETRY, retry_backoff_min_ms: 200, retry_backoff_max_ms: 200 } };
  let server = await startServer({ dir: serverDir, port, config });
  t.teardown(() => server.close());
  const { alice, room } = await watchedRoom(server);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: `r${i}` })).body.event_id);
  // The first transaction keeps failing; everything after it waits in the queue.
  await waitFor(() => receiver.txns.length >= 2, 'two failed attempts');
  const attempted = receiver.txns[0];
  t.ok(receiver.txns.every((x) => x.txnId === attempted.txnId), 'nothing overtakes the failing transaction');
  await server.stop();

  up = true;
  server = await startServer({ dir: serverDir, port, config });
  await waitFor(() => ids.every((id) => receiver.delivered().some((e) => e.event_id === id)), 'delivery after the restart');
  const after = receiver.txns.filter((x) => x.txnId === attempted.txnId);
  t.ok(after.length >= 3, 'the same txnId was sent again after the restart');
  t.same(after.at(-1)!.events, attempted.events, 'with the same events');
  const delivered = receiver.delivered().map((e) => e.event_id).filter((id) => ids.includes(id));
  t.same(delivered, ids, 'all five, once each, in order');
});

t.test('the admin retry call sends at once instead of waiting out the backoff', async (t) => {
  const dir = tempDir(t);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  let up = false;
  receiver.onTxn = () => (up ? { status: 200, body: {} } : { status: 502 });
  const config = { app_service_config_files: [registration(dir, receiver)], appservice: { ...FAST_RETRY, retry_backoff_min_ms: 600_000, retry_backoff_max_ms: 600_000 } };
  const server = await startServer({ config });
  t.teardown(() => server.close());
  const { alice, room } = await watchedRoom(server);
  const id = (await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'stuck' })).body.event_id;
  await waitFor(() => receiver.txns.length > 0, 'a first failed attempt');
  up = true;
  t.equal((await alice.post('/admin/appservices/bridge/retry')).status, 403, 'not for ordinary users');
  const res = await new Client(server.url, 'bridge-as').post('/admin/appservices/bridge/retry');
  t.equal(res.status, 200);
  await waitFor(() => receiver.delivered().some((e) => e.event_id === id), 'delivery after the retry call');
});

t.test('an invite to an unknown user in a namespace asks the service first', async (t) => {
  const dir = tempDir(t);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const server = await startServer({ config: { app_service_config_files: [registration(dir, receiver)], appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  receiver.onQuery = async (kind, id) => {
    if (kind !== 'users') return { status: 404 };
    const localpart = id.slice(1, id.indexOf(':'));
    const r = await http(server.url, 'POST', '/_matrix/client/api/v1/register?access_token=bridge-as', { body: { type: 'm.login.application_service', user: localpart } });
    return { status: r.status === 200 ? 200 : 500, body: {} };
  };
  const { alice, room } = await watchedRoom(server);
  const target = `@bridge_carol:${server.serverName}`;
  t.equal((await alice.post(`/rooms/${enc(room)}/invite`, { user_id: target })).status, 200);
  t.same(receiver.queries, [{ kind: 'users', id: target, path: `/users/${encodeURIComponent(target)}` }]);
  t.ok(server.hs.storage.users.getUser(target), 'the service registered the user while asked');
  t.equal(server.hs.storage.state.membershipOf(room, target), 'invite');
  const profile = await http(server.url, 'GET', `/_matrix/client/api/v1/profile/${enc(target)}/displayname`);
  t.equal(profile.status, 200);
});

t.test('bad registration files stop start-up with the file named', async (t) => {
  const dir = tempDir(t);
  const base = { url: 'http://127.0.0.1:9', as_token: 'a', hs_token: 'h', sender_localpart: 'bot', namespaces: { users: [], aliases: [], rooms: [] } };
  const cases: [string, Record<string, unknown>[], RegExp][] = [
    ['missing as_token', [{ ...base, as_token: undefined }], /missing required key 'as_token'/],
    ['invalid regex', [{ ...base, namespaces: { users: [{ regex: '@irc_(', exclusive: true }] } }], /invalid regex/],
    ['exclusive not a boolean', [{ ...base, namespaces: { users: [{ regex: '@x_.*', exclusive: 'yes' }] } }], /exclusive/],
    ['duplicate as_token', [base, { ...base, hs_token: 'h2', sender_localpart: 'bot2' }], /as_token is already used/],
    ['overlapping exclusive namespaces', [
      { ...base, namespaces: { users: [{ regex: '@irc_.*', exclusive: true }] } },
      { ...base, as_token: 'b', sender_localpart: 'bot2', namespaces: { users: [{ regex: '@irc_freenode_.*', exclusive: true }] } },
    ], /overlaps/],
    ['identical exclusive regexes', [
      { ...base, namespaces: { aliases: [{ regex: '#irc_.*', exclusive: true }] } },
      { ...base, as_token: 'b', sender_localpart: 'bot2', namespaces: { aliases: [{ regex: '#irc_.*', exclusive: true }] } },
    ], /overlaps/],
    ['missing sender_localpart', [{ ...base, sender_localpart: undefined }], /sender_localpart/],
    ['not YAML', [], /cannot read/],
  ];
  for (const [name, regs, expected] of cases) {
    const files = regs.map((r, i) => writeRegistration(dir, `${name.replace(/\s/g, '-')}-${i}`, r));
    if (regs.length === 0) {
      files.push(join(dir, 'broken.yaml'));
      writeFileSync(files[0], 'url: "http://x\n  as_token: [');
    }
    const hsDir = mkdtempSync(join(dir, 'hs-'));
    const configPath = join(hsDir, 'homeserver.yaml');
    writeFileSync(configPath, `server_name: localhost\napp_service_config_files: ${JSON.stringify(files)}\nlog_level: silent\n`);
    try {
      openHomeserver(loadConfig(configPath)).close();
      t.fail(`${name}: start-up should fail`);
    } catch (e) {
      t.ok(e instanceof ConfigError, `${name}: a config error`);
      t.match((e as Error).message, expected, `${name}: says what is wrong`);
      t.ok(files.some((f) => (e as Error).message.includes(f)), `${name}: names the file`);
    }
  }
});

t.test('the 2015 HTTP registration works only when enabled', async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const off = await startServer();
  t.teardown(() => off.close());
  const body = { as_token: 'legacy-as', url: receiver.url, namespaces: { users: [{ regex: '@legacy_.*', exclusive: true }], aliases: [], rooms: [] } };
  const refused = await http(off.url, 'POST', '/_matrix/appservice/v1/register', { body });
  t.equal(refused.status, 403);
  t.match(refused.body.error, /app_service_config_files/);
  const on = await startServer({ config: { appservice: { enable_legacy_http_registration: true } } });
  t.teardown(() => on.close());
  const ok = await http(on.url, 'POST', '/_matrix/appservice/v1/register', { body });
  t.equal(ok.status, 200);
  t.type(ok.body.hs_token, 'string');
  const reg = await new Client(on.url, 'legacy-as').post('/register', { type: 'm.login.application_service', user: 'legacy_x' });
  t.equal(reg.status, 200, 'the new service works at once');
});
