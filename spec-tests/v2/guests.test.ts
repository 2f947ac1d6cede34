// Guest access as Synapse 0.12 had it: register?kind=guest, world_readable rooms readable from
// outside, m.room.guest_access deciding who may join, and little else for guests.
import t from 'tap';
import { startServer, Client, enc, http, type TestServer } from '../helpers/server.js';

const V2 = '/_matrix/client/v2_alpha';
let server: TestServer;
let alice: Client, carol: Client;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  carol = await Client.register(server, 'carol');
});
t.teardown(() => server.close());

async function guest(): Promise<Client> {
  const res = await http(server.url, 'POST', `${V2}/register?kind=guest`, { body: {} });
  if (res.status !== 200) throw new Error(`guest registration: ${res.status} ${res.text}`);
  return new Client(server.url, res.body.access_token, res.body.user_id);
}
const say = (c: Client, room: string, body: string) => c.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body });
const newRoom = async () => (await alice.post('/createRoom', { visibility: 'public' })).body.room_id as string;

t.test('a guest gets an account without credentials and has no display name', async (t) => {
  const g = await guest();
  t.match(g.userId, /^@\d+:/);
  t.same((await g.get(`/profile/${enc(g.userId!)}/displayname`)).body.displayname ?? null, null);
  t.equal((await g.put(`/profile/${enc(g.userId!)}/displayname`, { displayname: 'Visitor' })).status, 200);
});

t.test('a guest may not create rooms, search, set pushers or add keys (403 M_GUEST_ACCESS_FORBIDDEN)', async (t) => {
  const g = await guest();
  for (const [method, path, body] of [
    ['POST', '/createRoom', {}], ['POST', '/search', { search_categories: {} }], ['POST', '/pushers/set', {}],
    ['POST', `${V2}/keys/upload/dev`, {}], ['GET', '/initialSync', undefined],
  ] as const) {
    const res = await g.req(method, path, body);
    t.equal(res.status, 403, `${method} ${path}`);
    t.equal(res.body.errcode, 'M_GUEST_ACCESS_FORBIDDEN');
  }
});

t.test('guests join only rooms with guest_access can_join, and leave when it is revoked', async (t) => {
  const g = await guest();
  const room = await newRoom();
  const refused = await g.post(`/join/${enc(room)}`);
  t.equal(refused.status, 403, 'not without guest_access');
  t.equal((await g.get(`/rooms/${enc(room)}/state/m.room.member/${enc(g.userId!)}`)).status, 403, 'and did not join');
  t.equal((await say(g, room, 'hi')).status, 403, 'cannot talk in a room it is not in');
  await alice.put(`/rooms/${enc(room)}/state/m.room.guest_access`, { guest_access: 'can_join' });
  t.equal((await g.post(`/join/${enc(room)}`)).status, 200);
  t.equal((await say(g, room, 'hello')).status, 200);
  const invite = await g.post(`/rooms/${enc(room)}/invite`, { user_id: carol.userId });
  t.equal(invite.status, 403, 'guests do not invite');
  await alice.put(`/rooms/${enc(room)}/state/m.room.guest_access`, { guest_access: 'forbidden' });
  let membership = 'join';
  for (let i = 0; i < 50 && membership === 'join'; i++) {
    membership = (await alice.get(`/rooms/${enc(room)}/state/m.room.member/${enc(g.userId!)}`)).body.membership;
    if (membership === 'join') await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(membership, 'leave', 'the guest left when guest access was revoked');
});

t.test('world_readable rooms are readable from outside; other rooms are not', async (t) => {
  const g = await guest();
  const room = await newRoom();
  await say(alice, room, 'private');
  t.equal((await g.get(`/rooms/${enc(room)}/messages?limit=5&dir=b`)).status, 403, 'shared history is for members');
  t.equal((await g.get(`/rooms/${enc(room)}/initialSync`)).status, 403);
  t.equal((await carol.get(`/rooms/${enc(room)}/state`)).status, 403, 'not for non-member users either');
  await alice.put(`/rooms/${enc(room)}/state/m.room.history_visibility`, { history_visibility: 'world_readable' });
  await say(alice, room, 'public');
  const init = (await g.get(`/rooms/${enc(room)}/initialSync`)).body;
  t.same(init.messages.chunk.map((e: any) => e.content.body ?? e.content.history_visibility), ['world_readable', 'public'],
    'only what was world_readable');
  const msgs = (await g.get(`/rooms/${enc(room)}/messages?limit=10&dir=b`)).body.chunk;
  t.notOk(msgs.some((e: any) => e.content.body === 'private'));
  t.equal((await carol.get(`/rooms/${enc(room)}/state`)).status, 200, 'real users may read the state too');
  t.equal((await g.get(`/rooms/${enc(room)}/state/m.room.member/${enc(alice.userId!)}`)).body.membership, 'join');
});

t.test('a guest must name a room for /events and then sees that room', async (t) => {
  const g = await guest();
  const room = await newRoom();
  await alice.put(`/rooms/${enc(room)}/state/m.room.history_visibility`, { history_visibility: 'world_readable' });
  const noRoom = await g.get('/events?timeout=0');
  t.equal(noRoom.status, 400);
  const other = await newRoom();
  t.equal((await g.get(`/events?timeout=0&room_id=${enc(other)}`)).status, 403, 'not a world_readable room');
  const from = (await g.get(`/events?timeout=0&room_id=${enc(room)}`)).body.end;
  const polling = g.get(`/events?timeout=20000&room_id=${enc(room)}&from=${enc(from)}`);
  await new Promise((r) => setTimeout(r, 200));
  await say(alice, room, 'mice');
  const res = await polling;
  t.ok(res.body.chunk.some((e: any) => e.content?.body === 'mice'), 'woken by the room it reads');
  const back = (await g.get(`/events?room_id=${enc(room)}&dir=b&limit=3`)).body.chunk;
  t.equal(back[0].content.body, 'mice', 'dir=b without from: the newest events at once, newest first');
  t.ok(back.every((e: any) => e.type === 'm.room.message' || e.type === 'm.room.history_visibility'), 'nothing from before world_readable');
});

t.test('publicRooms says which rooms are world_readable and which guests may join', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'public', room_alias_name: 'guesty' })).body.room_id;
  await alice.put(`/rooms/${enc(room)}/state/m.room.guest_access`, { guest_access: 'can_join' });
  const entry = (await new Client(server.url).get('/publicRooms')).body.chunk.find((r: any) => r.room_id === room);
  t.equal(entry.guest_can_join, true);
  t.equal(entry.world_readable, false);
});
