// Display names and avatars: readable by anyone, writable by their owner, re-announced in every
// room the user is joined to; remote users' profiles come over federation.
import t from 'tap';
import { startServer, http, Client, enc, type TestServer } from '../helpers/server.js';
import { startPair } from '../federation/helpers.js';

let server: TestServer;
let alice: Client, bob: Client;
const anon = (path: string) => http(server.url, 'GET', `/_matrix/client/api/v1${path}`);

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob');
});
t.teardown(() => server.close());

async function room(c: Client): Promise<string> {
  const res = await c.post('/createRoom', { visibility: 'private' });
  if (res.status !== 200) throw new Error(res.text);
  return res.body.room_id;
}

const memberContent = async (c: Client, roomId: string, userId: string) =>
  (await c.get(`/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`)).body;

t.test('profiles are readable without a token; percent-encoded ids are decoded', async (t) => {
  const name = await anon(`/profile/${enc(alice.userId!)}/displayname`);
  t.equal(name.status, 200);
  t.same(name.body, { displayname: 'alice' });
  t.same((await anon(`/profile/${enc(alice.userId!)}/avatar_url`)).body, { avatar_url: null });
  t.same((await anon(`/profile/${alice.userId}`)).body, { displayname: 'alice', avatar_url: null }, 'raw @ and : work too');
});

t.test('a user sets their own display name and avatar', async (t) => {
  const c = await Client.register(server, 'carol');
  const put = await c.put(`/profile/${enc(c.userId!)}/displayname`, { displayname: 'Carol C.' });
  t.equal(put.status, 200);
  t.same(put.body, {});
  t.equal((await c.put(`/profile/${enc(c.userId!)}/avatar_url`, { avatar_url: 'mxc://example.org/abc' })).status, 200);
  t.same((await anon(`/profile/${enc(c.userId!)}`)).body, { displayname: 'Carol C.', avatar_url: 'mxc://example.org/abc' });
  t.same((await anon(`/profile/${enc(c.userId!)}/displayname`)).body, { displayname: 'Carol C.' });
});

t.test("setting someone else's profile is 403 M_FORBIDDEN and changes nothing", async (t) => {
  const res = await bob.put(`/profile/${enc(alice.userId!)}/displayname`, { displayname: 'Mallory' });
  t.equal(res.status, 403);
  t.equal(res.body.errcode, 'M_FORBIDDEN');
  t.same((await anon(`/profile/${enc(alice.userId!)}/displayname`)).body, { displayname: 'alice' });
});

t.test('setting a profile needs a token and a string value', async (t) => {
  const noToken = await http(server.url, 'PUT', `/_matrix/client/api/v1/profile/${enc(alice.userId!)}/displayname`, {
    body: { displayname: 'x' },
  });
  t.equal(noToken.status, 401);
  t.equal(noToken.body.errcode, 'M_MISSING_TOKEN');
  for (const body of [{ displayname: 42 }, { displayname: { nested: true } }, {}]) {
    const res = await alice.put(`/profile/${enc(alice.userId!)}/displayname`, body);
    t.equal(res.status, 400, JSON.stringify(body));
    t.type(res.body.errcode, 'string');
  }
});

t.test('an unknown local user is 404 M_NOT_FOUND; a malformed id is 400', async (t) => {
  for (const path of ['', '/displayname', '/avatar_url']) {
    const res = await anon(`/profile/${enc(`@nobody:${server.serverName}`)}${path}`);
    t.equal(res.status, 404, path);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
  }
  t.equal((await anon(`/profile/not-a-user-id`)).status, 400);
});

t.test('a new display name is re-sent as a join event into every joined room, not into rooms left', async (t) => {
  const dave = await Client.register(server, 'dave');
  const [r1, r2, left] = [await room(dave), await room(alice), await room(dave)];
  await alice.post(`/rooms/${enc(r2)}/invite`, { user_id: dave.userId });
  t.equal((await dave.post(`/join/${enc(r2)}`)).status, 200);
  t.equal((await dave.post(`/rooms/${enc(left)}/leave`)).status, 200);

  t.equal((await dave.put(`/profile/${enc(dave.userId!)}/displayname`, { displayname: 'Dave the Brave' })).status, 200);
  t.equal((await dave.put(`/profile/${enc(dave.userId!)}/avatar_url`, { avatar_url: 'mxc://x/dave' })).status, 200);
  for (const r of [r1, r2]) {
    t.same(await memberContent(dave, r, dave.userId!), { membership: 'join', displayname: 'Dave the Brave', avatar_url: 'mxc://x/dave' }, r);
  }
  t.same(await memberContent(alice, r2, dave.userId!), { membership: 'join', displayname: 'Dave the Brave', avatar_url: 'mxc://x/dave' },
    'other members see it too');
  const leftState = server.hs.storage.state.currentStateEventId(left, 'm.room.member', dave.userId!)!;
  t.equal(server.hs.persister.loader.pdu(leftState)?.content?.membership, 'leave', 'the room left is untouched');
  t.equal(server.hs.persister.loader.pdu(leftState)?.content?.displayname, undefined);
});

t.test('a join after a profile change carries the new profile', async (t) => {
  const erin = await Client.register(server, 'erin');
  await erin.put(`/profile/${enc(erin.userId!)}/displayname`, { displayname: 'Erin!' });
  const r = await room(erin);
  t.same(await memberContent(erin, r, erin.userId!), { membership: 'join', displayname: 'Erin!' });
});

t.test("a remote user's profile is fetched from their server over federation", async (t) => {
  const [a, b] = await startPair();
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const remote = await Client.register(b, 'remy');
  await remote.put(`/profile/${enc(remote.userId!)}/displayname`, { displayname: 'Remy on B' });
  const one = await http(a.url, 'GET', `/_matrix/client/api/v1/profile/${enc(remote.userId!)}/displayname`);
  t.equal(one.status, 200);
  t.same(one.body, { displayname: 'Remy on B' });
  const all = await http(a.url, 'GET', `/_matrix/client/api/v1/profile/${enc(remote.userId!)}`);
  t.same(all.body, { displayname: 'Remy on B', avatar_url: null });
  const missing = await http(a.url, 'GET', `/_matrix/client/api/v1/profile/${enc(`@ghost:${b.serverName}`)}/displayname`);
  t.equal(missing.status, 404);
  t.equal(missing.body.errcode, 'M_NOT_FOUND');
  const local = await Client.register(a, 'lou');
  const put = await local.put(`/profile/${enc(remote.userId!)}/displayname`, { displayname: 'hijack' });
  t.equal(put.status, 403);
});
