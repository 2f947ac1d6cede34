// Request bodies and path parameters are checked against JSON schemas before any handler runs
// (issue 13, "thin routes"): a mistake answers 400 with Synapse's errcode and changes nothing;
// bodies without a Content-Type (the era's curl) are still read as JSON.
import t from 'tap';
import { startServer, http, Client, enc, type TestServer } from '../helpers/server.js';

const V1 = '/_matrix/client/api/v1';
const V2 = '/_matrix/client/v2_alpha';
let server: TestServer;
let alice: Client;
let bob: Client;
let roomId: string;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob');
  roomId = (await alice.post('/createRoom', { visibility: 'public', room_alias_name: 'schemas' })).body.room_id;
  await bob.post(`/join/${enc(roomId)}`);
});
t.teardown(() => server.close());

t.test('schema mistakes answer 400 with the errcode Synapse gave and change nothing', async (t) => {
  const from = (await bob.get('/events?timeout=0')).body.end as string;
  const rooms = (await alice.get('/initialSync?limit=0')).body.rooms.length as number;
  const a = enc(alice.userId!);
  const r = enc(roomId);
  const cases: [string, string, string, unknown, string][] = [
    ['login without a type', 'POST', '/login', { user: 'alice', password: 'x' }, 'M_MISSING_PARAM'],
    ['login with a numeric user', 'POST', '/login', { type: 'm.login.password', user: 5, password: 'x' }, 'M_BAD_JSON'],
    ['register without a type', 'POST', '/register', { user: 'carol', password: 'x' }, 'M_MISSING_PARAM'],
    ['v2 register with a numeric username', 'POST', '/_matrix/client/v2_alpha/register', { username: 1, password: 'x' }, 'M_BAD_JSON'],
    ['createRoom with an invite that is not a list', 'POST', '/createRoom', { invite: '@bob:x' }, 'M_BAD_JSON'],
    ['createRoom with an unknown visibility', 'POST', '/createRoom', { visibility: 'secret' }, 'M_BAD_JSON'],
    ['createRoom with an initial_state entry without content', 'POST', '/createRoom', { initial_state: [{ type: 'm.room.topic' }] }, 'M_MISSING_PARAM'],
    ['a message that is a list', 'PUT', `/rooms/${r}/send/m.room.message/t1`, [1, 2], 'M_NOT_JSON'],
    ['a message that is a string', 'POST', `/rooms/${r}/send/m.room.message`, 'hello', 'M_NOT_JSON'],
    ['state that is a number', 'PUT', `/rooms/${r}/state/m.room.topic`, 5, 'M_NOT_JSON'],
    ['an invite with a numeric user_id', 'POST', `/rooms/${r}/invite`, { user_id: 5 }, 'M_BAD_JSON'],
    ['a numeric displayname', 'PUT', `/profile/${a}/displayname`, { displayname: 5 }, 'M_BAD_JSON'],
    ['presence without a state', 'PUT', `/presence/${a}/status`, { status_msg: 'x' }, 'M_MISSING_PARAM'],
    ['a presence list with a non-list invite', 'POST', `/presence/list/${a}`, { invite: '@bob:x' }, 'M_BAD_JSON'],
    ['typing without typing', 'PUT', `/rooms/${r}/typing/${a}`, { timeout: 1000 }, 'M_MISSING_PARAM'],
    ['typing as a string', 'PUT', `/rooms/${r}/typing/${a}`, { typing: 'yes' }, 'M_BAD_JSON'],
    ['an alias with a numeric room_id', 'PUT', `/directory/room/${enc(`#num:${server.serverName}`)}`, { room_id: 5 }, 'M_BAD_JSON'],
    ['an alias with servers that are not a list', 'PUT', `/directory/room/${enc(`#srv:${server.serverName}`)}`, { room_id: roomId, servers: 'a' }, 'M_BAD_JSON'],
    ['a filter that is a list', 'POST', `/_matrix/client/v2_alpha/user/${a}/filter`, [], 'M_NOT_JSON'],
    ['a pusher with a numeric app_id', 'POST', '/pushers/set', { kind: 'http', app_id: 5, pushkey: 'k', data: { url: 'http://127.0.0.1:9/' } }, 'M_BAD_JSON'],
    ['a txnId over 255 characters', 'PUT', `/rooms/${r}/send/m.room.message/${'t'.repeat(300)}`, { msgtype: 'm.text', body: 'x' }, 'M_INVALID_PARAM'],
    ['an event type over 255 characters', 'PUT', `/rooms/${r}/send/${'e'.repeat(300)}/t2`, { msgtype: 'm.text', body: 'x' }, 'M_INVALID_PARAM'],
    ['a state key over 255 characters', 'PUT', `/rooms/${r}/state/m.room.topic/${'k'.repeat(300)}`, { topic: 'x' }, 'M_INVALID_PARAM'],
    ['account data that is a list', 'PUT', `${V2}/user/${a}/account_data/org.example.x`, [1], 'M_NOT_JSON'],
    ['room account data that is a string', 'PUT', `${V2}/user/${a}/rooms/${r}/account_data/org.example.x`, 'x', 'M_NOT_JSON'],
    ['a push rule whose actions are not a list', 'PUT', `/pushrules/global/room/${r}`, { actions: 'notify' }, 'M_BAD_JSON'],
    ['a push rule whose conditions are not a list', 'PUT', '/pushrules/global/override/schemas', { actions: ['notify'], conditions: {} }, 'M_BAD_JSON'],
    ['a key upload whose device_keys is a string', 'POST', `${V2}/keys/upload`, { device_keys: 'x' }, 'M_BAD_JSON'],
    ['a key query without device_keys', 'POST', `${V2}/keys/query`, {}, 'M_MISSING_PARAM'],
    ['a key claim whose one_time_keys is a list', 'POST', `${V2}/keys/claim`, { one_time_keys: [] }, 'M_BAD_JSON'],
    ['/events with a timeout that is not a number', 'GET', '/events?timeout=soon', undefined, 'M_INVALID_PARAM'],
    ['/events with a negative limit', 'GET', '/events?timeout=0&limit=-1', undefined, 'M_INVALID_PARAM'],
    ['/initialSync with a fractional limit', 'GET', '/initialSync?limit=1.5', undefined, 'M_INVALID_PARAM'],
    ['/messages with a limit given twice', 'GET', `/rooms/${r}/messages?limit=1&limit=2`, undefined, 'M_INVALID_PARAM'],
    ['v2 /sync with a timeout that is not a number', 'GET', `${V2}/sync?timeout=x`, undefined, 'M_INVALID_PARAM'],
  ];
  for (const [what, method, path, body, errcode] of cases) {
    const res = await alice.req(method, path, body);
    t.equal(res.status, 400, `${what}: 400`);
    t.equal(res.body?.errcode, errcode, `${what}: ${errcode} (${res.text.slice(0, 200)})`);
    t.type(res.body?.error, 'string', `${what}: an error text`);
    t.notOk(/at .*\.ts|node_modules/.test(res.text), `${what}: no stack`);
  }
  const twice = await http(server.url, 'POST', '/_matrix/media/v1/upload?filename=a.txt&filename=b.txt', { rawBody: 'x', token: alice.token, headers: { 'content-type': 'text/plain' } });
  t.equal(twice.status, 400, 'an upload with two filenames: 400');
  t.equal(twice.body?.errcode, 'M_INVALID_PARAM', 'an upload with two filenames: M_INVALID_PARAM');
  const thumb = await http(server.url, 'GET', '/_matrix/media/v1/identicon/x?width=8&width=9', {});
  t.equal(thumb.body?.errcode, 'M_INVALID_PARAM', 'an identicon with two widths: M_INVALID_PARAM');
  const empty = await alice.req('PUT', `/rooms/${r}/send/m.room.message/t3`, undefined);
  t.equal(empty.body.errcode, 'M_NOT_JSON', 'a send without a body is M_NOT_JSON');

  // Nothing changed: no new event in the stream, no new room, no alias, the profile as it was.
  const stream = await bob.get(`/events?from=${enc(from)}&timeout=0`);
  t.same(stream.body.chunk.filter((e: any) => e.type !== 'm.presence'), [], 'no event in the stream');
  t.equal((await alice.get('/initialSync?limit=0')).body.rooms.length, rooms, 'no room created');
  t.equal((await alice.get(`/directory/room/${enc(`#num:${server.serverName}`)}`)).status, 404, 'no alias');
  t.equal((await alice.get(`/profile/${enc(alice.userId!)}/displayname`)).body.displayname, 'alice', 'the displayname unchanged');
  t.equal((await alice.get(`/pushrules/global/room/${enc(roomId)}`)).status, 404, 'no push rule added');
  t.equal((await alice.get('/pushrules/global/override/schemas')).status, 404, 'no override rule added');
  t.equal((await http(server.url, 'POST', `${V1}/login`, { body: { type: 'm.login.password', user: 'carol', password: 'x' } })).status, 403,
    'no user carol was registered');
});

t.test('bodies without a Content-Type (curl -d of the era) are read as JSON', async (t) => {
  const noType = (method: string, path: string, body: unknown, token?: string) =>
    http(server.url, method, `${V1}${path}`, { rawBody: JSON.stringify(body), token });
  const reg = await noType('POST', '/register', { type: 'm.login.password', user: 'dave', password: 'pw' });
  t.equal(reg.status, 200, 'register');
  const login = await noType('POST', '/login', { type: 'm.login.password', user: 'dave', password: 'pw' });
  t.equal(login.status, 200, 'login');
  const token = login.body.access_token as string;
  const created = await noType('POST', '/createRoom', { name: 'curl' }, token);
  t.equal(created.status, 200, 'createRoom');
  const sent = await noType('POST', `/rooms/${enc(created.body.room_id)}/send/m.room.message`, { msgtype: 'm.text', body: 'hello' }, token);
  t.equal(sent.status, 200, 'send');
  t.match(sent.body.event_id, /^\$/);
  const form = await http(server.url, 'PUT', `${V1}/rooms/${enc(created.body.room_id)}/state/m.room.topic`, {
    rawBody: '{"topic":"by curl"}', token, headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(form.status, 200, 'state with the form Content-Type curl sends');
  t.same((await new Client(server.url, token).get(`/rooms/${enc(created.body.room_id)}/state/m.room.topic`)).body, { topic: 'by curl' });
});

t.test('POST /join and /leave without a body still work', async (t) => {
  const carol = await Client.register(server, 'carol2');
  const joined = await http(server.url, 'POST', `${V1}/rooms/${enc(roomId)}/join`, { token: carol.token });
  t.equal(joined.status, 200);
  const left = await http(server.url, 'POST', `${V1}/rooms/${enc(roomId)}/leave`, { token: carol.token });
  t.equal(left.status, 200);
});
