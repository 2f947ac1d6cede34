// What a user may read of a room's past: history visibility at each event, the room as it was
// when they left, single events, and /messages bounded by tokens from the event stream.
import t from 'tap';
import { Agent, request } from 'undici';
import { startServer, Client, enc, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
let alice: Client, bob: Client, eve: Client;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob');
  eve = await Client.register(server, 'eve');
});
t.teardown(() => server.close());

const say = async (c: Client, room: string, body: string) =>
  (await c.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body })).body.event_id as string;
const bodies = (chunk: any[]) => chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
const historyOf = async (c: Client, room: string) => bodies((await c.get(`/rooms/${enc(room)}/messages?dir=b&limit=100`)).body.chunk).reverse();

async function roomWithHistory(visibility: string): Promise<string> {
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id as string;
  await alice.put(`/rooms/${enc(room)}/state/m.room.history_visibility`, { history_visibility: visibility });
  await say(alice, room, 'before anyone came');
  return room;
}

t.test('history_visibility "joined" hides what was said before a user joined', async (t) => {
  const room = await roomWithHistory('joined');
  await bob.post(`/join/${enc(room)}`);
  await say(alice, room, 'after bob joined');
  t.same(await historyOf(bob, room), ['after bob joined']);
  t.same(await historyOf(alice, room), ['before anyone came', 'after bob joined'], 'the sender still sees everything');
  const sync = await bob.get('/initialSync?limit=10');
  const r = sync.body.rooms.find((x: any) => x.room_id === room);
  t.same(bodies(r.messages.chunk), ['after bob joined'], 'initialSync filters the same way');
});

t.test('the event stream of a user who just joined leaves out history hidden from them', async (t) => {
  const from = (await bob.get('/events?timeout=0')).body.end;
  const room = await roomWithHistory('joined');
  await bob.post(`/join/${enc(room)}`);
  await say(alice, room, 'welcome bob');
  const res = await bob.get(`/events?from=${enc(from)}&timeout=0`);
  const inRoom = res.body.chunk.filter((e: any) => e.room_id === room);
  t.ok(inRoom.some((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId), 'his join is there');
  t.same(bodies(inRoom), ['welcome bob'], 'the message from before his join is not');
});

t.test('history_visibility "shared" shows earlier messages to a newcomer', async (t) => {
  const room = await roomWithHistory('shared');
  await bob.post(`/join/${enc(room)}`);
  t.same(await historyOf(bob, room), ['before anyone came']);
});

t.test('history_visibility "invited" shows messages from the invite on', async (t) => {
  const room = await roomWithHistory('invited');
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await say(alice, room, 'while bob was invited');
  await bob.post(`/rooms/${enc(room)}/join`);
  t.same(await historyOf(bob, room), ['while bob was invited']);
});

t.test('a user who left reads the room as it was when they left', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id as string;
  await bob.post(`/join/${enc(room)}`);
  await alice.put(`/rooms/${enc(room)}/state/m.room.topic`, { topic: 'while bob was here' });
  await say(alice, room, 'goodbye bob');
  await bob.post(`/rooms/${enc(room)}/leave`);
  await alice.put(`/rooms/${enc(room)}/state/m.room.topic`, { topic: 'after bob left' });
  await say(alice, room, 'bob must not read this');

  t.same((await bob.get(`/rooms/${enc(room)}/state/m.room.topic`)).body, { topic: 'while bob was here' });
  const state = (await bob.get(`/rooms/${enc(room)}/state`)).body;
  t.equal(state.find((e: any) => e.type === 'm.room.topic').content.topic, 'while bob was here');
  const members = (await bob.get(`/rooms/${enc(room)}/members`)).body.chunk;
  t.equal(members.find((e: any) => e.state_key === bob.userId).content.membership, 'leave', 'members as of the leave');

  const roomSync = await bob.get(`/rooms/${enc(room)}/initialSync?limit=10`);
  t.equal(roomSync.body.membership, 'leave');
  t.same(bodies(roomSync.body.messages.chunk), ['goodbye bob'], 'the timeline ends at the leave');
  t.equal(roomSync.body.messages.chunk.at(-1).state_key, bob.userId, 'the last event is the leave itself');

  const archived = (await bob.get('/initialSync?limit=10&archived=true')).body.rooms.find((r: any) => r.room_id === room);
  t.equal(archived.membership, 'leave');
  t.same(bodies(archived.messages.chunk), ['goodbye bob'], 'archived rooms carry messages up to the leave');
  t.ok(archived.state.some((e: any) => e.type === 'm.room.topic' && e.content.topic === 'while bob was here'));

  // Synapse 0.12 (SyTest SPEC-216) lets /messages read up to the leave as well; 0.10 answered 403.
  const msgs = await bob.get(`/rooms/${enc(room)}/messages?dir=b&limit=10`);
  t.equal(msgs.status, 200);
  t.notOk(bodies(msgs.body.chunk).includes('bob must not read this'), '/messages stops at the leave');
  await bob.post(`/rooms/${enc(room)}/forget`);
  const forgotten = await bob.get(`/rooms/${enc(room)}/state/m.room.topic`);
  t.equal(forgotten.status, 403, 'a forgotten room is not readable');
  t.equal(forgotten.body.errcode, 'M_FORBIDDEN');
});

t.test('room reads refuse strangers with 403 and unknown rooms with 404', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;
  for (const path of ['/state', '/state/m.room.create', '/members', '/initialSync', '/messages']) {
    const res = await eve.get(`/rooms/${enc(room)}${path}`);
    t.equal(res.status, 403, `${path} is forbidden to a stranger`);
    t.equal(res.body.errcode, 'M_FORBIDDEN');
  }
  const unknown = await eve.get(`/rooms/${enc('!nope:' + server.serverName)}/state`);
  t.equal(unknown.status, 404);
  t.equal(unknown.body.errcode, 'M_NOT_FOUND');
});

t.test('GET /events/{eventId}: the event for members, 403 for strangers, 404 when unknown', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;
  const id = await say(alice, room, 'just for alice');
  const ok = await alice.get(`/events/${enc(id)}`);
  t.equal(ok.status, 200);
  t.equal(ok.body.content.body, 'just for alice');
  t.equal(ok.body.user_id, alice.userId);
  t.equal((await eve.get(`/events/${enc(id)}`)).status, 403);
  const missing = await alice.get(`/events/${enc('$missing:' + server.serverName)}`);
  t.equal(missing.status, 404);
  t.equal(missing.body.errcode, 'M_NOT_FOUND');
});

t.test('/messages between two /events tokens returns exactly what happened between them', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;
  const t0 = (await alice.get('/initialSync?limit=0')).body.end;
  for (let i = 0; i < 6; i++) await say(alice, room, `m${i}`);
  const t1 = (await alice.get('/initialSync?limit=0')).body.end;
  await say(alice, room, 'later');
  const fwd = await alice.get(`/rooms/${enc(room)}/messages?dir=f&limit=50&from=${enc(t0)}&to=${enc(t1)}`);
  t.same(bodies(fwd.body.chunk), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  const back = await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=50&from=${enc(t1)}&to=${enc(t0)}`);
  t.same(bodies(back.body.chunk), ['m5', 'm4', 'm3', 'm2', 'm1', 'm0']);
  t.equal(back.body.chunk.length, 6, 'nothing from before the first token');
  const end = await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=1&from=END`);
  t.same(bodies(end.body.chunk), ['later'], "'END' means now");
  for (const bad of ['garbage', 't1', 's1_2']) {
    const res = await alice.get(`/rooms/${enc(room)}/messages?from=${bad}`);
    t.equal(res.status, 400, `bad token ${bad}`);
    t.equal(res.body.errcode, 'M_BAD_PAGINATION');
  }
  t.equal((await alice.get(`/rooms/${enc(room)}/messages?dir=x`)).status, 400, 'dir must be b or f');
});

t.test('a 3-part stream token from the era is accepted by /events', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;
  const [roomKey, presenceKey, typingKey] = (await alice.get('/initialSync?limit=0')).body.end.split('_');
  await say(alice, room, 'after the old token');
  const res = await alice.get(`/events?from=${enc(`${roomKey}_${presenceKey}_${typingKey}`)}&timeout=0`);
  t.equal(res.status, 200);
  t.same(bodies(res.body.chunk), ['after the old token']);
  t.match(res.body.end, /^s\d+_\d+_\d+_\d+_\d+$/, 'answered with a full token');
});

t.test('a long-poll ends when its client goes away', async (t) => {
  const from = (await bob.get('/events?timeout=0')).body.end;
  const before = server.hs.notifier.waitingCount();
  const gone = new AbortController();
  const url = `${server.url}/_matrix/client/api/v1/events?from=${enc(from)}&timeout=30000&access_token=${bob.token}`;
  // A connection of its own: undici's shared pool would otherwise keep a socket the server waits on at close.
  const agent = new Agent();
  t.teardown(() => agent.close());
  const poll = request(url, { signal: gone.signal, dispatcher: agent }).catch(() => 'aborted');
  await waitFor(() => server.hs.notifier.waitingCount() === before + 1, 'the long-poll to wait');
  gone.abort();
  t.equal(await poll, 'aborted');
  await waitFor(() => server.hs.notifier.waitingCount() === before, 'the server to stop waiting');
  t.pass('the server stopped waiting for the departed client');
});
