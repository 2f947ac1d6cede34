// The room directory: aliases (create, resolve, delete) and the public room list.
import t from 'tap';
import { startServer, freePort, http, Client, enc, type TestServer } from '../helpers/server.js';

let server: TestServer;
let alice: Client, bob: Client, admin: Client;
const anon = (path: string) => http(server.url, 'GET', `/_matrix/client/api/v1${path}`);
const alias = (name: string) => `#${name}:${server.serverName}`;

t.before(async () => {
  const port = await freePort();
  server = await startServer({ port, config: { admins: [`@admin:localhost:${port}`] } });
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob');
  admin = await Client.register(server, 'admin');
});
t.teardown(() => server.close());

async function room(c: Client, body: Record<string, unknown> = { visibility: 'private' }): Promise<string> {
  const res = await c.post('/createRoom', body);
  if (res.status !== 200) throw new Error(res.text);
  return res.body.room_id;
}

const aliasesEvent = async (roomId: string) =>
  (await alice.get(`/rooms/${enc(roomId)}/state/m.room.aliases/${enc(server.serverName)}`)).body;

t.test('an alias is created, resolved without a token, and announced in m.room.aliases', async (t) => {
  const r = await room(alice);
  const put = await alice.put(`/directory/room/${enc(alias('lounge'))}`, { room_id: r });
  t.equal(put.status, 200);
  t.same(put.body, {});
  const got = await anon(`/directory/room/${enc(alias('lounge'))}`);
  t.equal(got.status, 200);
  t.equal(got.body.room_id, r);
  t.equal(got.body.servers[0], server.serverName, 'this server first');
  t.same(await aliasesEvent(r), { aliases: [alias('lounge')] });

  t.equal((await alice.put(`/directory/room/${enc(alias('lounge2'))}`, { room_id: r })).status, 200);
  t.same((await aliasesEvent(r)).aliases.sort(), [alias('lounge'), alias('lounge2')].sort(), 'every local alias of the room');
  t.equal((await alice.post(`/join/${enc(alias('lounge2'))}`)).status, 200, 'joinable by alias');
});

t.test('an unknown alias is 404 M_NOT_FOUND', async (t) => {
  const res = await anon(`/directory/room/${enc(alias('nowhere'))}`);
  t.equal(res.status, 404);
  t.equal(res.body.errcode, 'M_NOT_FOUND');
});

t.test('a taken alias is 409 and keeps pointing at the first room', async (t) => {
  const [r1, r2] = [await room(alice), await room(bob)];
  t.equal((await alice.put(`/directory/room/${enc(alias('taken'))}`, { room_id: r1 })).status, 200);
  const dup = await bob.put(`/directory/room/${enc(alias('taken'))}`, { room_id: r2 });
  t.equal(dup.status, 409);
  t.equal(dup.body.errcode, 'M_UNKNOWN');
  t.equal((await anon(`/directory/room/${enc(alias('taken'))}`)).body.room_id, r1);
});

t.test('bad alias requests: remote alias, missing room_id, unknown room, no token', async (t) => {
  const r = await room(alice);
  const remote = await alice.put(`/directory/room/${enc('#x:elsewhere.example')}`, { room_id: r });
  t.equal(remote.status, 400);
  t.match(remote.body.error, /local/);
  const noRoom = await alice.put(`/directory/room/${enc(alias('noroom'))}`, {});
  t.equal(noRoom.status, 400);
  t.equal(noRoom.body.errcode, 'M_BAD_JSON');
  const unknown = await alice.put(`/directory/room/${enc(alias('ghost'))}`, { room_id: `!nope:${server.serverName}`, servers: [server.serverName] });
  t.equal(unknown.status, 404);
  t.equal(unknown.body.errcode, 'M_NOT_FOUND');
  const noToken = await http(server.url, 'PUT', `/_matrix/client/api/v1/directory/room/${enc(alias('anon'))}`, { body: { room_id: r } });
  t.equal(noToken.status, 401);
  t.equal((await anon(`/directory/room/${enc(alias('noroom'))}`)).status, 404, 'nothing was stored');
});

t.test('a member may alias a room (m.room.aliases sent by the caller); a non-member gets 403 and no alias', async (t) => {
  const r = await room(alice);
  const outsider = await bob.put(`/directory/room/${enc(alias('outsider'))}`, { room_id: r });
  t.equal(outsider.status, 403, 'non-members may not send m.room.aliases (0.10 let them)');
  t.equal(outsider.body.errcode, 'M_FORBIDDEN');
  t.equal((await anon(`/directory/room/${enc(alias('outsider'))}`)).status, 404, 'the alias was not kept');
  t.equal((await alice.post(`/rooms/${enc(r)}/invite`, { user_id: bob.userId })).status, 200);
  t.equal((await bob.post(`/join/${enc(r)}`, {})).status, 200);
  t.equal((await bob.put(`/directory/room/${enc(alias('insider'))}`, { room_id: r })).status, 200);
  const id = server.hs.storage.state.currentStateEventId(r, 'm.room.aliases', server.serverName)!;
  t.equal(server.hs.persister.loader.pdu(id)?.sender, bob.userId);
  t.same(await aliasesEvent(r), { aliases: [alias('insider')] });
});

t.test('an alias may be deleted by its creator or a server admin, nobody else', async (t) => {
  const r = await room(alice);
  await alice.put(`/directory/room/${enc(alias('mine'))}`, { room_id: r });
  await alice.put(`/directory/room/${enc(alias('ours'))}`, { room_id: r });
  const denied = await bob.del(`/directory/room/${enc(alias('mine'))}`);
  t.equal(denied.status, 403);
  t.equal(denied.body.errcode, 'M_FORBIDDEN');
  t.equal((await anon(`/directory/room/${enc(alias('mine'))}`)).status, 200);

  t.equal((await alice.del(`/directory/room/${enc(alias('mine'))}`)).status, 200);
  t.equal((await anon(`/directory/room/${enc(alias('mine'))}`)).status, 404);
  t.equal((await admin.del(`/directory/room/${enc(alias('ours'))}`)).status, 200);
  t.equal((await anon(`/directory/room/${enc(alias('ours'))}`)).status, 404);
  const again = await alice.del(`/directory/room/${enc(alias('ours'))}`);
  t.equal(again.status, 404);
  t.equal(again.body.errcode, 'M_NOT_FOUND');
});

t.test('publicRooms lists public rooms that have an alias, with name, topic and member count', async (t) => {
  const listed = await room(alice, { visibility: 'public', room_alias_name: 'pub', name: 'The Lounge', topic: 'Chat here' });
  await bob.post(`/join/${enc(listed)}`);
  const bare = await room(alice, { visibility: 'public', room_alias_name: 'bare' });
  await room(alice, { visibility: 'public' }); // no alias: not listed
  const hidden = await room(alice, { visibility: 'private', room_alias_name: 'hidden' });

  const res = await anon('/publicRooms');
  t.equal(res.status, 200);
  t.type(res.body.start, 'string');
  t.type(res.body.end, 'string');
  const byId = new Map(res.body.chunk.map((r: any) => [r.room_id, r]));
  t.same(byId.get(listed), { room_id: listed, name: 'The Lounge', topic: 'Chat here', aliases: [alias('pub')], num_joined_members: 2, world_readable: false, guest_can_join: false });
  t.same(byId.get(bare), { room_id: bare, name: null, topic: null, aliases: [alias('bare')], num_joined_members: 1, world_readable: false, guest_can_join: false });
  t.notOk(byId.has(hidden), 'private rooms are not listed');
  t.equal(res.body.chunk.length, 2);
});
