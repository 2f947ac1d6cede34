// Room tags and account data (v2_alpha, Synapse 0.12): stored per user, delivered through
// /sync, the v1 /events stream and initialSync.
import t from 'tap';
import { startServer, Client, enc, type TestServer } from '../helpers/server.js';

const V2 = '/_matrix/client/v2_alpha';
let server: TestServer;
let alice: Client, bob: Client;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob');
});
t.teardown(() => server.close());

const tagsPath = (c: Client, room: string, tag?: string) => `${V2}/user/${enc(c.userId!)}/rooms/${enc(room)}/tags${tag ? `/${enc(tag)}` : ''}`;
const newRoom = async (c: Client) => (await c.post('/createRoom', {})).body.room_id as string;

t.test('tags: add, list, remove', async (t) => {
  const room = await newRoom(alice);
  t.equal((await alice.put(tagsPath(alice, room, 'work'), { order: 1 })).status, 200);
  t.same((await alice.get(tagsPath(alice, room))).body, { tags: { work: { order: 1 } } });
  t.equal((await alice.del(tagsPath(alice, room, 'work'))).status, 200);
  t.same((await alice.get(tagsPath(alice, room))).body, { tags: {} });
});

t.test("nobody reads or writes another user's tags or account data", async (t) => {
  const room = await newRoom(alice);
  t.equal((await bob.put(tagsPath(alice, room, 'x'), {})).status, 403);
  t.equal((await bob.get(tagsPath(alice, room))).status, 403);
  t.equal((await bob.put(`${V2}/user/${enc(alice.userId!)}/account_data/my.type`, { a: 1 })).status, 403);
  t.same((await alice.get(tagsPath(alice, room))).body, { tags: {} }, 'nothing changed');
});

t.test('tags and account data come down in /sync, initially and incrementally', async (t) => {
  const room = await newRoom(alice);
  await alice.put(tagsPath(alice, room, 'fav'), { order: 0.5 });
  await alice.put(`${V2}/user/${enc(alice.userId!)}/account_data/my.global`, { cats: true });
  await alice.put(`${V2}/user/${enc(alice.userId!)}/rooms/${enc(room)}/account_data/my.room`, { rats: 1 });
  const first = (await alice.get(`${V2}/sync`)).body;
  t.same(first.account_data.events.find((e: any) => e.type === 'my.global')?.content, { cats: true });
  const roomData = first.rooms.join[room].account_data.events;
  t.same(roomData.find((e: any) => e.type === 'm.tag')?.content, { tags: { fav: { order: 0.5 } } });
  t.same(roomData.find((e: any) => e.type === 'my.room')?.content, { rats: 1 });
  await alice.del(tagsPath(alice, room, 'fav'));
  const next = (await alice.get(`${V2}/sync?since=${enc(first.next_batch)}`)).body;
  t.same(next.rooms.join[room].account_data.events, [{ type: 'm.tag', content: { tags: {} } }], 'only the change');
  t.same(next.account_data.events, []);
});

t.test('tags and account data in v1 initialSync and /events', async (t) => {
  const room = await newRoom(alice);
  const from = (await alice.get('/initialSync?limit=0')).body.end;
  await alice.put(tagsPath(alice, room, 'low'), {});
  await alice.put(`${V2}/user/${enc(alice.userId!)}/account_data/my.v1`, { n: 1 });
  const init = (await alice.get('/initialSync?limit=0')).body;
  t.same(init.account_data.find((e: any) => e.type === 'my.v1')?.content, { n: 1 });
  t.same(init.rooms.find((r: any) => r.room_id === room).account_data, [{ type: 'm.tag', content: { tags: { low: {} } } }]);
  t.same((await alice.get(`/rooms/${enc(room)}/initialSync`)).body.account_data, [{ type: 'm.tag', content: { tags: { low: {} } } }]);
  const events = (await alice.get(`/events?from=${enc(from)}&timeout=0`)).body.chunk;
  t.ok(events.some((e: any) => e.type === 'm.tag' && e.room_id === room), 'room tags carry room_id in /events');
  t.ok(events.some((e: any) => e.type === 'my.v1' && e.content.n === 1));
});

t.test('account data is bounded and must be an object', async (t) => {
  const path = `${V2}/user/${enc(alice.userId!)}/account_data/my.big`;
  t.equal((await alice.put(path, { blob: 'x'.repeat(70_000) })).status, 413);
  t.equal((await alice.put(path, [1, 2])).status, 400);
  t.equal((await alice.put(`${V2}/user/${enc(alice.userId!)}/account_data/${'t'.repeat(300)}`, {})).status, 400, 'type too long');
  const room = await newRoom(alice);
  t.equal((await alice.put(`${V2}/user/${enc(alice.userId!)}/rooms/${enc(room)}/account_data/m.tag`, { tags: {} })).status, 400, 'tags go through the tags API');
  const proto = await alice.put(`${V2}/user/${enc(alice.userId!)}/rooms/${enc(room)}/tags/__proto__`, { order: 2 });
  t.equal(proto.status, 200, 'a tag named __proto__ is just a tag');
  t.equal((await alice.get(tagsPath(alice, room))).text, '{"tags":{"__proto__":{"order":2}}}');
});
