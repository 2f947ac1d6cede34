// Per-registration options (transaction path, id, rate_limited) and the alias directory rules.
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Client, http, enc } from '../helpers/server.js';
import { startReceiver, writeRegistration, FAST_RETRY, waitFor, type Receiver } from './helpers.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-as-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function receiverFor(t: { teardown(fn: () => Promise<void>): void }): Promise<Receiver> {
  const r = await startReceiver();
  t.teardown(() => r.close());
  return r;
}

const reg = (url: string, name: string, extra: Record<string, unknown> = {}) => ({
  url, as_token: `${name}-as`, hs_token: `${name}-hs`, sender_localpart: `${name}bot`,
  namespaces: { users: [{ exclusive: true, regex: `@${name}_.*` }], aliases: [{ exclusive: true, regex: `#${name}_.*` }], rooms: [] },
  ...extra,
});

t.test('transaction_path chooses the versioned path, or tries it before the legacy one', async (t) => {
  const dir = tempDir(t);
  const modern = await receiverFor(t);
  const old = await receiverFor(t);
  old.modernPaths = false; // a 2015 service: 404 on /_matrix/app/v1/...
  const files = [
    writeRegistration(dir, 'modern', reg(modern.url, 'mod', { transaction_path: 'modern' })),
    writeRegistration(dir, 'fallback', reg(old.url, 'old', { transaction_path: 'modern_then_legacy' })),
  ];
  const server = await startServer({ config: { app_service_config_files: files, appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id;
  for (const token of ['mod-as', 'old-as']) t.equal((await new Client(server.url, token).post(`/join/${enc(room)}`)).status, 200);
  const id = (await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'hi' })).body.event_id;

  await waitFor(() => modern.delivered().some((e) => e.event_id === id), 'the message at the modern service');
  t.ok(modern.txns.every((x) => x.path.startsWith('/_matrix/app/v1/transactions/')), 'modern: only the versioned path');
  t.equal(modern.txns[0].bearer, 'Bearer mod-hs');
  await waitFor(() => old.delivered().some((e) => e.event_id === id), 'the message at the 2015 service');
  t.ok(old.txns.every((x) => /^\/transactions\/\d+$/.test(x.path)), 'fallback: delivered on the legacy path after the 404');

  // Alias queries follow the same choice.
  await alice.post(`/join/${enc(`#old_x:${server.serverName}`)}`);
  await alice.post(`/join/${enc(`#mod_x:${server.serverName}`)}`);
  t.same(old.queries.map((q) => q.path), [`/rooms/${enc(`#old_x:${server.serverName}`)}`]);
  t.same(modern.queries.map((q) => q.path), [`/_matrix/app/v1/rooms/${enc(`#mod_x:${server.serverName}`)}`]);
});

t.test('a registration without id gets one derived from a hash of its as_token, never the token', async (t) => {
  const dir = tempDir(t);
  const receiver = await receiverFor(t);
  const file = writeRegistration(dir, 'noid', reg(receiver.url, 'anon'));
  const server = await startServer({ config: { app_service_config_files: [file], appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  const [service] = server.hs.appservices.registry.all();
  t.equal(service.id, `as_${createHash('sha256').update('anon-as').digest('hex').slice(0, 12)}`);
  t.notOk(service.id.includes('anon-as'));
  const bot = new Client(server.url, 'anon-as');
  t.equal((await bot.post(`/admin/appservices/${service.id}/retry`)).status, 200, 'the admin call takes that id');
  t.equal((await bot.post('/admin/appservices/anon-as/retry')).status, 404, 'and not the token (no service has that id)');
  t.notOk(server.hs.appservices.scheduler('anon-as'));
});

t.test('services skip rate limits unless rate_limited: true', async (t) => {
  const dir = tempDir(t);
  const receiver = await receiverFor(t);
  const files = [
    writeRegistration(dir, 'free', reg(receiver.url, 'free')),
    writeRegistration(dir, 'limited', reg(receiver.url, 'lim', { rate_limited: true })),
  ];
  const server = await startServer({ config: { app_service_config_files: files, appservice: FAST_RETRY, rate_limiting: { per_second: 0.1, burst: 3 } } });
  t.teardown(() => server.close());
  for (const [token, limited] of [['free-as', false], ['lim-as', true]] as const) {
    const bot = new Client(server.url, token);
    const room = (await bot.post('/createRoom', {})).body.room_id;
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await bot.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: `${i}` })).status);
    if (limited) t.ok(codes.includes(429), `rate_limited: true gets 429 (${codes})`);
    else t.same(codes, [200, 200, 200, 200, 200, 200], 'exempt by default');
  }
});

t.test('directory aliases: exclusive namespaces are reserved, a service stays inside its own', async (t) => {
  const dir = tempDir(t);
  const receiver = await receiverFor(t);
  const file = writeRegistration(dir, 'irc', reg(receiver.url, 'irc'));
  const server = await startServer({ config: { app_service_config_files: [file], appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  const sn = server.serverName;
  const alice = await Client.register(server, 'alice');
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id;
  const bot = new Client(server.url, 'irc-as');
  t.equal((await bot.post(`/join/${enc(room)}`)).status, 200);

  const put = (c: Client, alias: string) => c.put(`/directory/room/${enc(alias)}`, { room_id: room });
  const taken = await put(alice, `#irc_chan:${sn}`);
  t.equal(taken.status, 400);
  t.equal(taken.body.errcode, 'M_EXCLUSIVE', 'a user may not take an alias in an exclusive namespace');
  const outside = await put(bot, `#elsewhere:${sn}`);
  t.equal(outside.status, 400);
  t.equal(outside.body.errcode, 'M_EXCLUSIVE', 'the service may not map aliases outside its namespace');
  t.equal((await put(bot, `#irc_chan:${sn}`)).status, 200, 'inside it, it may');
  t.equal((await http(server.url, 'GET', `/_matrix/client/api/v1/directory/room/${enc(`#irc_chan:${sn}`)}`)).body.room_id, room);
  t.equal((await bot.del(`/directory/room/${enc(`#irc_chan:${sn}`)}`)).status, 200, 'and delete them');

  const masq = await http(server.url, 'POST', `/_matrix/client/api/v1/register?access_token=irc-as`, { body: { type: 'm.login.application_service', username: 'irc_dave' } });
  t.equal(masq.status, 200, 'v1 registration accepts "username" too');
  const asDave = await http(server.url, 'POST', `/_matrix/client/api/v1/join/${enc(room)}?access_token=irc-as&user_id=${enc(`@irc_dave:${sn}`)}`, { body: {} });
  t.equal(asDave.status, 200);
  t.equal(server.hs.storage.state.membershipOf(room, `@irc_dave:${sn}`), 'join');
});

t.test('the 2015 HTTP registration answers a bad body with a 400, never a 500', async (t) => {
  const server = await startServer({ config: { appservice: { enable_legacy_http_registration: true } } });
  t.teardown(() => server.close());
  const send = (body: unknown) => http(server.url, 'POST', '/_matrix/appservice/v1/register', { body });
  const cases: [string, unknown][] = [
    ['no as_token', { url: 'http://127.0.0.1:9' }],
    ['invalid regex', { as_token: 'x1', url: 'http://127.0.0.1:9', namespaces: { users: ['@a_('] } }],
    ['not a URL', { as_token: 'x2', url: 'ftp://nowhere', namespaces: {} }],
    ['namespaces not an object', { as_token: 'x3', url: 'http://127.0.0.1:9', namespaces: 'all' }],
  ];
  for (const [name, body] of cases) {
    const res = await send(body);
    t.equal(res.status, 400, name);
    t.type(res.body.errcode, 'string', `${name}: ${res.body.error}`);
  }
  const first = await send({ as_token: 'y', url: 'http://127.0.0.1:9', namespaces: { users: ['@y_.*'] } });
  t.equal(first.status, 200);
  const again = await send({ as_token: 'y', url: 'http://127.0.0.1:9', namespaces: { users: ['@z_.*'] } });
  t.equal(again.status, 400, 'the same as_token twice');
  const clash = await send({ as_token: 'z', url: 'http://127.0.0.1:9', namespaces: { users: ['@y_.*'] } });
  t.equal(clash.status, 400, 'an exclusive namespace already claimed');
});
