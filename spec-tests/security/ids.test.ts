// Issue 10, items 13 and 14: malformed ids, server names and alias names are 400 M_INVALID_PARAM at
// the edge, before any lookup or network call, and nothing is created from them.
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { startServer, http, Client, enc, type TestServer } from '../helpers/server.js';
import { FED_CONFIG } from '../federation/helpers.js';

const V1 = '/_matrix/client/api/v1';

let server: TestServer;
let alice: Client;
let room: string;
// A decoy listener on loopback: a malformed server name that still reached the network would land here.
let decoy: Server;
let decoyPort = 0;
let decoyConnections = 0;

t.before(async () => {
  server = await startServer({ config: FED_CONFIG });
  alice = await Client.register(server, 'alice');
  room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id;
  decoy = createServer((sock) => {
    decoyConnections++;
    sock.destroy();
  });
  await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
  decoyPort = (decoy.address() as { port: number }).port;
});
t.teardown(async () => {
  await server.close();
  await new Promise((resolve) => decoy.close(resolve));
});

/** A value as printable ASCII for a test name (TAP lines must not carry control or separator characters). */
const show = (v: string) => JSON.stringify(v.slice(0, 24)).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const badServerNames = () => [
  'bad_server!', 'localhost:99999', 'localhost:0', 'localhost:', 'a..b', '-a.b', 'a b', '[zz::1]', '[::1', '::1',
  `127.0.0.1:${decoyPort}?x`, `127.0.0.1:${decoyPort}/x`, `127.0.0.1:${decoyPort}#x`, `u@127.0.0.1:${decoyPort}`,
  `127.0.0.1:${decoyPort}\u0000`, 'a'.repeat(64) + '.org', 'a.'.repeat(130) + 'org',
];

t.test('/join with a malformed id or server name is 400 M_INVALID_PARAM and makes no network call', async (t) => {
  const ids = ['!a:bad_server!', '#a:localhost:99999', '!nocolon', '#nocolon', '!:localhost', 'a:localhost', '@alice:localhost'];
  for (const name of badServerNames()) ids.push(`!room:${name}`, `#alias:${name}`);
  for (const id of ids) {
    for (const path of [`/join/${enc(id)}`, `/rooms/${enc(id)}/join`]) {
      const res = await alice.post(path, {});
      t.equal(res.status, 400, `${show(path)}: status`);
      t.equal(res.body.errcode, 'M_INVALID_PARAM', `${show(id)}: M_INVALID_PARAM`);
      t.notMatch(res.body.error, /getaddrinfo|Invalid URL|ECONNREFUSED/, 'no network error text');
    }
  }
  t.equal(decoyConnections, 0, 'nothing connected to the decoy listener');
  const sync = await alice.get('/initialSync?limit=0');
  t.same(sync.body.rooms.map((r: any) => r.room_id), [room], 'alice is in no other room');
});

t.test('alias names over 255 bytes, with control characters, whitespace, ":" or "/" are refused; nothing resolves', async (t) => {
  const bad = ['a'.repeat(300), 'a\u0000b', 'a\u0007b', 'a\u007fb', 'a\u0085b', 'a b', 'a\tb', 'a\u2028b', 'a/b', '../x', 'a:b', '',
    '\ud800x', 'é'.repeat(130)];
  const roomsBefore = (await alice.get('/initialSync?limit=0')).body.rooms.length;
  for (const name of bad) {
    const created = await alice.post('/createRoom', { room_alias_name: name });
    t.equal(created.status, 400, `createRoom ${show(name)}: 400`);
    // A lone surrogate is refused by the body parser already (it has no UTF-8 form).
    t.equal(created.body.errcode, /\p{Cs}/u.test(name) ? 'M_NOT_JSON' : 'M_INVALID_PARAM', 'M_INVALID_PARAM');
    const alias = `#${name}:${server.serverName}`;
    if (/\p{Cs}/u.test(alias)) continue; // a lone surrogate has no percent-encoding: only a JSON body can carry it
    const put = await alice.put(`/directory/room/${enc(alias)}`, { room_id: room });
    t.equal(put.status, 400, `PUT /directory/room ${show(alias)}: 400`);
    t.equal(put.body.errcode, 'M_INVALID_PARAM');
    const got = await alice.get(`/directory/room/${enc(alias)}`);
    t.ok(got.status === 400 || got.status === 404, 'the alias does not resolve');
    t.notOk(server.hs.storage.rooms.getAlias(alias), 'no alias row');
  }
  t.equal((await alice.get('/initialSync?limit=0')).body.rooms.length, roomsBefore, 'no room was created');
  const aliases = await alice.get(`/rooms/${enc(room)}/state/m.room.aliases/${enc(server.serverName)}`);
  t.equal(aliases.status, 404, 'no m.room.aliases event was sent');

  // The boundaries still work: 255 bytes in all, a bridge-style '#', letters beyond ASCII.
  const longest = 'x'.repeat(255 - `#:${server.serverName}`.length);
  for (const name of [longest, 'freenode_#matrix', 'caf\u00e9']) {
    const res = await alice.post('/createRoom', { room_alias_name: name });
    t.equal(res.status, 200, `${show(name)}: accepted`);
    const got = await alice.get(`/directory/room/${enc(res.body.room_alias)}`);
    t.equal(got.body.room_id, res.body.room_id, 'and resolves');
  }
  const tooLong = await alice.post('/createRoom', { room_alias_name: longest + 'x' });
  t.equal(tooLong.status, 400, 'one byte more is refused');
});

t.test('PUT /directory/room checks room_id and the servers it will hand to joiners', async (t) => {
  const alias = (n: string) => `#${n}:${server.serverName}`;
  const cases: [string, unknown][] = [
    ['bad room id', { room_id: '!x:bad_server!' }],
    ['room id too long', { room_id: `!${'r'.repeat(300)}:${server.serverName}` }],
    ['bad server in servers', { room_id: room, servers: ['bad_server!'] }],
    ['decoy URL in servers', { room_id: room, servers: [`127.0.0.1:${decoyPort}/x`] }],
    ['non-string server', { room_id: room, servers: [1] }],
    ['too many servers', { room_id: room, servers: Array.from({ length: 101 }, (_, i) => `s${i}.example.org`) }],
  ];
  for (const [what, body] of cases) {
    const res = await alice.put(`/directory/room/${enc(alias(`d${what.length}`))}`, body);
    t.equal(res.status, 400, `${what}: 400`);
    t.type(res.body.errcode, 'string');
    t.notOk(server.hs.storage.rooms.getAlias(alias(`d${what.length}`)), `${what}: no alias stored`);
  }
  t.equal(decoyConnections, 0, 'nothing connected to the decoy listener');
});

t.test('ids in paths are checked on every API: over 255 bytes, control characters, bad server names', async (t) => {
  const sn = server.serverName;
  const badRoom = [`!${'r'.repeat(260)}:${sn}`, `!a\u0000b:${sn}`, `!a b:${sn}`, '!a:bad_server!', `!a:${sn}:99999`, '#notaroom:' + sn];
  const badUser = [`@${'u'.repeat(260)}:${sn}`, `@a\u0001:${sn}`, '@a:bad_server!', 'alice', `@:${sn}`];
  const badEvent = [`$${'e'.repeat(260)}:${sn}`, `$a\u0000:${sn}`, '$a:bad_server!', 'nosigil:' + sn];
  const routes: [string, string, (x: string) => string, string[]][] = [
    ['send', 'PUT', (r) => `${V1}/rooms/${enc(r)}/send/m.room.message/t1`, badRoom],
    ['state', 'PUT', (r) => `${V1}/rooms/${enc(r)}/state/m.room.topic`, badRoom],
    ['get state', 'GET', (r) => `${V1}/rooms/${enc(r)}/state`, badRoom],
    ['messages', 'GET', (r) => `${V1}/rooms/${enc(r)}/messages`, badRoom],
    ['members', 'GET', (r) => `${V1}/rooms/${enc(r)}/members`, badRoom],
    ['invite', 'POST', (r) => `${V1}/rooms/${enc(r)}/invite`, badRoom],
    ['leave', 'POST', (r) => `${V1}/rooms/${enc(r)}/leave`, badRoom],
    ['room initialSync', 'GET', (r) => `${V1}/rooms/${enc(r)}/initialSync`, badRoom],
    ['profile', 'GET', (u) => `${V1}/profile/${enc(u)}`, badUser],
    ['set displayname', 'PUT', (u) => `${V1}/profile/${enc(u)}/displayname`, badUser],
    ['presence', 'GET', (u) => `${V1}/presence/${enc(u)}/status`, badUser],
    ['presence list', 'POST', (u) => `${V1}/presence/list/${enc(u)}`, badUser],
    ['typing', 'PUT', (u) => `${V1}/rooms/${enc(room)}/typing/${enc(u)}`, badUser],
    ['event', 'GET', (e) => `${V1}/events/${enc(e)}`, badEvent],
    ['redact', 'PUT', (e) => `${V1}/rooms/${enc(room)}/redact/${enc(e)}/t1`, badEvent],
    ['receipt', 'POST', (e) => `/_matrix/client/v2_alpha/rooms/${enc(room)}/receipt/m.read/${enc(e)}`, badEvent],
    ['federation state', 'GET', (r) => `/_matrix/federation/v1/state/${enc(r)}/`, badRoom],
    ['federation make_join', 'GET', (r) => `/_matrix/federation/v1/make_join/${enc(r)}/${enc(alice.userId!)}`, badRoom],
    ['federation event', 'GET', (e) => `/_matrix/federation/v1/event/${enc(e)}/`, badEvent],
    ['media download', 'GET', (s) => `/_matrix/media/v1/download/${enc(s)}/abc`, badServerNames()],
    ['key query', 'GET', (s) => `/_matrix/key/v2/query/${enc(s)}`, badServerNames()],
  ];
  for (const [what, method, path, values] of routes) {
    for (const v of values) {
      const res = await http(server.url, method, path(v), { body: { user_id: alice.userId, displayname: 'x', typing: true, timeout: 1000, msgtype: 'm.text', body: 'x' }, token: alice.token });
      t.equal(res.status, 400, `${what} ${show(v)}: 400`);
      t.equal(res.body.errcode, 'M_INVALID_PARAM', `${what}: M_INVALID_PARAM`);
      t.notOk(res.text.includes(alice.token!), 'no token echoed');
    }
  }
  t.equal(decoyConnections, 0, 'nothing connected to the decoy listener');
  const msgs = await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=50`);
  t.notOk(msgs.body.chunk.some((e: any) => e.type === 'm.room.message' || e.type === 'm.room.topic' || e.type === 'm.room.redaction'), 'nothing was stored');
});

t.test('registration refuses ":" , control characters, whitespace and over-long user ids', async (t) => {
  for (const user of ['a:b', 'a\u0000b', 'a\u001fb', 'a b', 'a\u00a0b', 'a\nb', 'x'.repeat(260), '@x', 'a#b', 'ü']) {
    const res = await http(server.url, 'POST', `${V1}/register`, { body: { type: 'm.login.password', user, password: 'pw-123456' } });
    t.equal(res.status, 400, `${show(user)}: 400`);
    t.equal(res.body.errcode, 'M_INVALID_USERNAME');
  }
});
