// v2_alpha filters and /sync as Synapse 0.12 served them (December 2015).
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

const sync = (c: Client, q: Record<string, string> = {}) => c.get(`${V2}/sync?${new URLSearchParams(q)}`);
const say = (c: Client, room: string, body: string, txn?: string) =>
  txn ? c.put(`/rooms/${enc(room)}/send/m.room.message/${txn}`, { msgtype: 'm.text', body }) : c.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body });
const newRoom = async (c: Client, body: object = {}) => (await c.post('/createRoom', body)).body.room_id as string;

t.test('a filter round-trips, belongs to its user and is validated', async (t) => {
  const filter = { room: { timeline: { limit: 10, types: ['m.room.message'] } }, presence: { types: ['m.presence'] } };
  const made = await alice.post(`${V2}/user/${enc(alice.userId!)}/filter`, filter);
  t.equal(made.status, 200);
  t.type(made.body.filter_id, 'string');
  t.equal(made.headers['content-type'], 'application/json', 'exactly application/json, as Synapse answered');
  const got = await alice.get(`${V2}/user/${enc(alice.userId!)}/filter/${made.body.filter_id}`);
  t.same(got.body, filter);
  t.equal((await bob.get(`${V2}/user/${enc(alice.userId!)}/filter/${made.body.filter_id}`)).status, 403, "another user's filter");
  t.equal((await bob.post(`${V2}/user/${enc(alice.userId!)}/filter`, filter)).status, 403, 'for another user');
  t.equal((await alice.get(`${V2}/user/${enc(alice.userId!)}/filter/9999`)).status, 404);
  const bad = await alice.post(`${V2}/user/${enc(alice.userId!)}/filter`, { room: { timeline: { limit: 'ten' } } });
  t.equal(bad.status, 400);
  t.equal(bad.body.errcode, 'M_BAD_JSON');
  t.equal((await alice.post(`${V2}/user/${enc(alice.userId!)}/filter`, { room: { state: { types: 'm.room.name' } } })).status, 400);
  for (const f of [{ room: { timeline: { rooms: ['not_a_room_id'] } } }, { room: { timeline: { senders: ['not_a_sender_id'] } } },
    { presence: 'not_an_object' }, { room: { timeline: { types: [0] } } }]) {
    t.equal((await alice.post(`${V2}/user/${enc(alice.userId!)}/filter`, f)).status, 400, JSON.stringify(f));
  }
});

t.test('initial sync: joined room with timeline, state, ephemeral; invites with invite_state', async (t) => {
  const room = await newRoom(alice, { name: 'Sync room' });
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  const first = await say(alice, room, 'one');
  const second = await say(alice, room, 'two', 'txn-1');
  const res = await sync(alice, { filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
  t.equal(res.status, 200);
  t.type(res.body.next_batch, 'string');
  t.ok(Array.isArray(res.body.presence.events) && Array.isArray(res.body.account_data.events));
  const joined = res.body.rooms.join[room];
  t.same(joined.timeline.events.map((e: any) => e.event_id), [first.body.event_id, second.body.event_id], 'the newest events, oldest first');
  t.equal(joined.timeline.limited, true, 'more events than the limit');
  t.type(joined.timeline.prev_batch, 'string');
  t.equal(joined.timeline.events[1].unsigned.transaction_id, 'txn-1', 'the sender sees its txnId');
  t.notOk('room_id' in joined.timeline.events[0], 'v2 events carry no room_id');
  t.ok(joined.state.events.some((e: any) => e.type === 'm.room.name'), 'state before the timeline');
  t.same(joined.ephemeral, { events: [] });
  const invited = (await sync(bob)).body.rooms.invite[room];
  const invite = invited.invite_state.events.find((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId);
  t.equal(invite.content.membership, 'invite');
  t.equal(invite.sender, alice.userId);
  const older = await alice.get(`/rooms/${enc(room)}/messages?from=${enc(joined.timeline.prev_batch)}&dir=b&limit=1`);
  t.notSame(older.body.chunk[0].event_id, first.body.event_id, 'prev_batch pages back from before the timeline');
});

t.test('incremental sync: only what changed; an unchanged room is left out', async (t) => {
  const room = await newRoom(alice);
  const start = (await sync(alice)).body.next_batch;
  const quiet = await sync(alice, { since: start });
  t.notOk(quiet.body.rooms.join[room], 'nothing new');
  const sent = await say(alice, room, 'news');
  const res = await sync(alice, { since: start });
  const joined = res.body.rooms.join[room];
  t.same(joined.timeline.events.map((e: any) => e.event_id), [sent.body.event_id]);
  t.equal(joined.timeline.limited, false);
  t.same(joined.state.events, [], 'a window without state changes brings no state');
});

t.test('a state change hidden from the timeline by the filter comes down as state', async (t) => {
  const room = await newRoom(alice);
  const filter = JSON.stringify({ room: { timeline: { types: [] }, state: { types: ['a.test.state'] } } });
  const start = (await sync(alice, { filter })).body.next_batch;
  await alice.put(`/rooms/${enc(room)}/state/a.test.state/k`, { v: 2 });
  const res = await sync(alice, { filter, since: start });
  t.same(res.body.rooms.join[room].state.events.map((e: any) => e.content.v), [2]);
});

t.test('a long-polling /sync wakes up for a new message', async (t) => {
  const room = await newRoom(alice);
  const start = (await sync(alice)).body.next_batch;
  const polling = sync(alice, { since: start, timeout: '20000' });
  await new Promise((r) => setTimeout(r, 200));
  const sent = await say(alice, room, 'wake up');
  const res = await polling;
  t.same(res.body.rooms.join[room].timeline.events.map((e: any) => e.event_id), [sent.body.event_id]);
});

t.test('joining, leaving and being banned show up in the right sections', async (t) => {
  const room = await newRoom(alice, { visibility: 'public' });
  const start = (await sync(bob)).body.next_batch;
  await bob.post(`/join/${enc(room)}`);
  const joined = (await sync(bob, { since: start })).body.rooms.join[room];
  t.ok(joined.state.events.some((e: any) => e.type === 'm.room.create') || joined.timeline.events.some((e: any) => e.type === 'm.room.create'),
    'a newly joined room comes with its state');
  t.equal(joined.timeline.limited, true, 'newly joined rooms are limited (Synapse)');
  const afterJoin = (await sync(bob)).body.next_batch;
  await alice.post(`/rooms/${enc(room)}/ban`, { user_id: bob.userId, reason: 'test' });
  const left = (await sync(bob, { since: afterJoin })).body.rooms.leave[room];
  t.ok(left.timeline && left.state, 'banned: in the leave section');
  const withLeave = await sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
  t.ok(withLeave.body.rooms.leave[room], 'initial sync with include_leave lists it');
});

t.test('bad parameters are 400s, not hangs or 500s', async (t) => {
  t.equal((await sync(alice, { since: 'nonsense' })).status, 400);
  t.equal((await sync(alice, { timeout: '-1' })).status, 400);
  t.equal((await sync(alice, { filter: '{not json' })).status, 400);
  t.equal((await sync(alice, { filter: '12345' })).status, 400, 'unknown filter id');
  t.equal((await sync(alice, { set_presence: 'asleep' })).status, 400);
  t.equal((await new Client(server.url).get(`${V2}/sync`)).status, 401, 'no access token');
});
