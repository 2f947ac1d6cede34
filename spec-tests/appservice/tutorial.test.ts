// The application-service tutorial of the era, step by step, against a real HTTP service.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Client, http, enc, freePort } from '../helpers/server.js';
import { startReceiver, writeRegistration, FAST_RETRY, waitFor } from './helpers.js';

const AS_TOKEN = 'wfghWEGh3wgWHEf3478sHFWE';
const HS_TOKEN = 'ugw8243igya57aaABGFfgeyu';

t.test('the logging service tutorial works as written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-as-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  // Step 3: the registration file exactly as the tutorial has it (users: [], rooms: []).
  const reg = writeRegistration(dir, 'registration', {
    url: receiver.url, as_token: AS_TOKEN, hs_token: HS_TOKEN, sender_localpart: 'logging',
    namespaces: { users: [], rooms: [], aliases: [{ exclusive: false, regex: '#logged_.*' }] },
  });
  const port = await freePort();
  const server = await startServer({ port, config: { app_service_config_files: [reg], appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');

  // Step 4: a room with alias #logged_test, a message: the service prints it.
  const room = (await alice.post('/createRoom', { room_alias_name: 'logged_test' })).body.room_id;
  t.type(room, 'string');
  const sent = await alice.req('POST', `/rooms/${enc(room)}/send/m.room.message`, undefined, {
    rawBody: '{"msgtype":"m.text", "body":"hello"}', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(sent.status, 200);
  const ev = await waitFor(() => receiver.delivered().find((e) => e.event_id === sent.body.event_id), 'the message at the service');
  t.equal(ev.user_id, alice.userId, 'user_id (the v1 field bridges read)');
  t.equal(ev.sender, alice.userId, 'and sender');
  t.equal(ev.room_id, room);
  t.equal(ev.type, 'm.room.message');
  t.same(ev.content, { msgtype: 'm.text', body: 'hello' });
  const txn = receiver.txns[0];
  t.equal(txn.token, HS_TOKEN, 'hs_token in the query string');
  t.equal(txn.bearer, `Bearer ${HS_TOKEN}`, 'and as a Bearer header');
  t.match(txn.path, /^\/transactions\/\d+$/, "the era's path");

  // Step 5: joining #logged_test2 fails while nothing created it...
  const alias2 = `#logged_test2:${server.serverName}`;
  const before = await alice.post(`/join/${enc(alias2)}`);
  t.equal(before.status, 404);
  t.equal(before.body.errcode, 'M_NOT_FOUND');
  t.same(receiver.queries.at(-1), { kind: 'rooms', id: alias2, path: `/rooms/${encodeURIComponent(alias2)}` },
    'the server asked the service about the alias, the # percent-encoded');

  // ...then the service creates the room with its as_token when asked, and the join works.
  receiver.onQuery = async (kind, id) => {
    if (kind !== 'rooms') return { status: 404 };
    const res = await http(server.url, 'POST', `/_matrix/client/api/v1/createRoom?access_token=${AS_TOKEN}`, {
      rawBody: JSON.stringify({ room_alias_name: id.slice(1, id.indexOf(':')) }),
    });
    return res.status === 200 ? { status: 200, body: {} } : { status: 500, body: res.body };
  };
  const joined = await alice.post(`/join/${enc(alias2)}`);
  t.equal(joined.status, 200, 'joining the lazily created room works');
  const dir2 = await http(server.url, 'GET', `/_matrix/client/api/v1/directory/room/${enc(alias2)}`);
  t.equal(dir2.body.room_id, joined.body.room_id);
  const created = server.hs.storage.state.currentStateEventId(joined.body.room_id, 'm.room.create', '');
  t.equal(server.hs.persister.loader.pdu(created!)?.content?.creator, `@logging:${server.serverName}`, 'created by the service sender user');
});

t.test('the as_token acts as the sender user, or as a namespaced user with ?user_id=', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-as-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const reg = writeRegistration(dir, 'irc', {
    url: receiver.url, as_token: 'irc-as-token', hs_token: 'irc-hs-token', sender_localpart: 'ircbot',
    namespaces: { users: [{ exclusive: true, regex: '@irc_.*' }], aliases: [{ exclusive: true, regex: '#irc_.*' }], rooms: [] },
  });
  const server = await startServer({ config: { app_service_config_files: [reg], appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  const sn = server.serverName;
  const bot = new Client(server.url, 'irc-as-token');

  const me = await bot.post('/createRoom', { visibility: 'public', room_alias_name: 'irc_lobby' });
  t.equal(me.status, 200, 'the service sender needs no registration');
  const room = me.body.room_id;

  const v1 = await bot.post('/register', { type: 'm.login.application_service', user: 'irc_alice' });
  t.equal(v1.status, 200);
  t.equal(v1.body.user_id, `@irc_alice:${sn}`);
  const v2 = await bot.req('POST', '/_matrix/client/v2_alpha/register', { username: 'irc_bob' });
  t.equal(v2.status, 200, 'v2_alpha registration in one step, as matrix-appservice-bridge does');
  t.equal(v2.body.user_id, `@irc_bob:${sn}`);
  const again = await bot.req('POST', '/_matrix/client/v2_alpha/register', { username: 'irc_bob' });
  t.equal(again.body.errcode, 'M_USER_IN_USE');
  const outside = await bot.post('/register', { type: 'm.login.application_service', user: 'alice' });
  t.equal(outside.status, 400);
  t.equal(outside.body.errcode, 'M_EXCLUSIVE', 'a service cannot register outside its namespace');

  const asAlice = new Client(server.url, 'irc-as-token');
  const joined = await asAlice.req('POST', `/_matrix/client/api/v1/join/${enc(room)}?user_id=${enc(`@irc_alice:${sn}`)}`, {});
  t.equal(joined.status, 200);
  t.equal(server.hs.storage.state.membershipOf(room, `@irc_alice:${sn}`), 'join', 'the virtual user joined');
  const masq = await asAlice.req('POST', `/_matrix/client/api/v1/rooms/${enc(room)}/send/m.room.message?user_id=${enc(`@someone:${sn}`)}`, { msgtype: 'm.text', body: 'x' });
  t.equal(masq.status, 403);
  t.equal(masq.body.errcode, 'M_FORBIDDEN', 'cannot masquerade outside the namespace');

  // Exclusivity against normal users.
  const taken = await http(server.url, 'POST', '/_matrix/client/api/v1/register', { body: { type: 'm.login.password', user: 'irc_mallory', password: 'pw' } });
  t.equal(taken.status, 400);
  t.equal(taken.body.errcode, 'M_EXCLUSIVE');
  const alice = await Client.register(server, 'alice');
  const aliasTaken = await alice.post('/createRoom', { room_alias_name: 'irc_mine' });
  t.equal(aliasTaken.body.errcode, 'M_EXCLUSIVE', 'aliases in an exclusive namespace are reserved');
  const aliasOk = await bot.post('/createRoom', { room_alias_name: 'irc_other' });
  t.equal(aliasOk.status, 200, 'the service may create them');

  // Events in the service's rooms reach it, in order.
  const ids: string[] = [];
  await alice.post(`/join/${enc(room)}`);
  for (let i = 0; i < 5; i++) ids.push((await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: `${i}` })).body.event_id);
  await waitFor(() => ids.every((id) => receiver.delivered().some((e) => e.event_id === id)), 'all five messages');
  const order = receiver.delivered().map((e) => e.event_id).filter((id) => ids.includes(id));
  t.same(order, ids, 'in order');
});
