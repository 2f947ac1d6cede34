// POST /search (Synapse 0.12): full-text search over the rooms the user is in.
import t from 'tap';
import { startServer, Client, enc, type TestServer } from '../helpers/server.js';

let server: TestServer;
let alice: Client, eve: Client;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  eve = await Client.register(server, 'eve');
});
t.teardown(() => server.close());

const say = (c: Client, room: string, body: string) => c.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body });
const search = (c: Client, q: object, nextBatch?: string) =>
  c.post(`/search${nextBatch ? `?next_batch=${enc(nextBatch)}` : ''}`, { search_categories: { room_events: q } });

t.test('finds a message by a word of its body, with the event and a rank', async (t) => {
  const room = (await alice.post('/createRoom', {})).body.room_id;
  const sent = await say(alice, room, 'hello, world');
  await say(alice, room, 'something else');
  const res = await search(alice, { keys: ['content.body'], search_term: 'hello' });
  t.equal(res.status, 200);
  const re = res.body.search_categories.room_events;
  t.equal(re.count, 1);
  t.equal(re.results[0].result.event_id, sent.body.event_id);
  t.equal(re.results[0].result.content.body, 'hello, world');
  t.type(re.results[0].rank, 'number');
});

t.test('newest first, paged with next_batch until the end', async (t) => {
  const room = (await alice.post('/createRoom', {})).body.room_id;
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) ids.push((await say(alice, room, `Paging number ${i}`)).body.event_id);
  const q = { keys: ['content.body'], search_term: 'paging', order_by: 'recent', filter: { limit: 3, rooms: [room] } };
  const seen: string[] = [];
  let next: string | undefined;
  for (let page = 0; page < 5; page++) {
    const re = (await search(alice, q, next)).body.search_categories.room_events;
    t.equal(re.count, 7);
    seen.push(...re.results.map((r: any) => r.result.event_id));
    next = re.next_batch;
    if (!next) break;
  }
  t.same(seen, [...ids].reverse(), 'every match once, newest first');
});

t.test("another user's rooms are not searched, and FTS syntax is only words", async (t) => {
  const room = (await alice.post('/createRoom', {})).body.room_id;
  await say(alice, room, 'secret plans');
  t.equal((await search(eve, { search_term: 'secret' })).body.search_categories.room_events.count, 0);
  for (const term of ['secret OR plans', '"secret', 'NEAR(secret plans)', 'sec*', 'body:secret']) {
    const res = await search(alice, { search_term: term });
    t.equal(res.status, 200, `term ${term}`);
  }
  t.equal((await search(alice, { search_term: '' })).status, 400);
  t.equal((await search(alice, { search_term: 'x', keys: ['content.password'] })).status, 400);
  t.equal((await search(alice, { search_term: 'x', order_by: 'random' })).status, 400);
  t.equal((await search(alice, { search_term: 'x' }, 'garbage')).status, 400);
});
