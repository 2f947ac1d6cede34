// The read side as a 2015 client uses it: initialSync, the /events long-poll, /messages
// pagination, room state, members, typing, presence and receipts.
import t from 'tap';
import { startServer, Client, enc, type TestServer } from '../helpers/server.js';

let server: TestServer;
let alice: Client, bob: Client;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob');
});
t.teardown(() => server.close());

async function sharedRoom(): Promise<string> {
  const room = (await alice.post('/createRoom', { visibility: 'private', name: 'Shared' })).body.room_id as string;
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await bob.post(`/rooms/${enc(room)}/join`);
  return room;
}
const say = (c: Client, room: string, body: string) => c.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body });

t.test('initialSync has end, presence and rooms with membership, messages and state', async (t) => {
  const room = await sharedRoom();
  await say(alice, room, 'first');
  await say(bob, room, 'second');
  const res = await bob.get('/initialSync?limit=10');
  t.equal(res.status, 200);
  t.type(res.body.end, 'string');
  t.ok(Array.isArray(res.body.presence));
  t.ok(Array.isArray(res.body.rooms));
  const r = res.body.rooms.find((x: { room_id: string }) => x.room_id === room);
  t.equal(r.membership, 'join');
  t.equal(r.visibility, 'private');
  const bodies = r.messages.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);
  t.same(bodies, ['first', 'second'], 'messages oldest first');
  t.type(r.messages.start, 'string');
  t.type(r.messages.end, 'string');
  const types = r.state.map((e: { type: string }) => e.type).sort();
  t.ok(types.includes('m.room.create') && types.includes('m.room.power_levels') && types.includes('m.room.name'));
  const msg = r.messages.chunk.find((e: any) => e.content.body === 'second');
  for (const k of ['event_id', 'type', 'room_id', 'user_id', 'sender', 'content', 'origin_server_ts', 'age']) t.ok(k in msg, `client events carry ${k}`);
  for (const k of ['hashes', 'signatures', 'prev_events', 'auth_events', 'depth', 'origin', 'unsigned']) t.notOk(k in msg, `no federation-only ${k}`);
});

t.test('an invite shows in initialSync with the inviter', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id;
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  const res = await bob.get('/initialSync?limit=5');
  const r = res.body.rooms.find((x: { room_id: string }) => x.room_id === room);
  t.equal(r.membership, 'invite');
  t.equal(r.inviter, alice.userId);
});

// The poll asks to wait 60 s (the server's cap), longer than this test may run (45 s): only the
// notifier waking it can answer it in time. A control poll that nothing concerns waits alongside
// and must still be waiting when the woken poll has answered.
t.test('a waiting /events long-poll returns as soon as a message is sent', { timeout: 45_000 }, async (t) => {
  const room = await sharedRoom();
  const carol = await Client.register(server, 'carol-control');
  /** A token after everything `c` can see, its own coming online included. */
  const drained = async (c: Client) => {
    const end = (await c.get('/initialSync?limit=0')).body.end;
    return (await c.get(`/events?from=${enc(end)}&timeout=0`)).body.end as string;
  };
  const from = await drained(bob);
  let controlAnswered = false;
  const control = carol.get(`/events?from=${enc(await drained(carol))}&timeout=60000`).then((r) => {
    controlAnswered = true;
    return r;
  });
  const poll = bob.get(`/events?from=${enc(from)}&timeout=60000`);
  await new Promise((r) => setTimeout(r, 100));
  await say(alice, room, 'wake up');
  const res = await poll;
  t.notOk(controlAnswered, 'the poll nothing woke is still waiting: the answer came from the wake-up, not a timeout');
  t.equal(res.status, 200);
  t.equal(res.body.start, from);
  const msg = res.body.chunk.find((e: any) => e.type === 'm.room.message');
  t.equal(msg?.content.body, 'wake up');
  t.equal(msg?.user_id, alice.userId);
  t.not(res.body.end, from, 'the end token moved on');
  const next = await bob.get(`/events?from=${enc(res.body.end)}&timeout=0`);
  t.same(next.body.chunk.filter((e: any) => e.type === 'm.room.message'), [], 'nothing twice');
  // An invite for carol ends the control poll (and shows that it, too, can be woken).
  const other = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id;
  await alice.post(`/rooms/${enc(other)}/invite`, { user_id: carol.userId });
  const woken = await control;
  t.ok(woken.body.chunk.some((e: any) => e.type === 'm.room.member' && e.state_key === carol.userId), 'the control poll answers with its invite');
});

t.test('/events times out with an empty chunk and rejects a bad token', async (t) => {
  const end = (await bob.get('/initialSync?limit=0')).body.end;
  const res = await bob.get(`/events?from=${enc(end)}&timeout=50`);
  t.equal(res.status, 200);
  t.same(res.body.chunk, []);
  t.equal(res.body.start, end);
  const bad = await bob.get('/events?from=garbage&timeout=0');
  t.equal(bad.status, 400);
  t.type(bad.body.errcode, 'string');
});

t.test('an invite wakes the invitee’s event stream', async (t) => {
  const end = (await bob.get('/initialSync?limit=0')).body.end;
  const poll = bob.get(`/events?from=${enc(end)}&timeout=20000`);
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id;
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  let found: any;
  let from = end;
  for (let i = 0; i < 5 && !found; i++) {
    const res = i === 0 ? await poll : await bob.get(`/events?from=${enc(from)}&timeout=5000`);
    from = res.body.end;
    found = res.body.chunk.find((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId && e.room_id === room);
  }
  t.equal(found?.content.membership, 'invite');
});

t.test('/messages pages backwards and forwards with tokens that round-trip', async (t) => {
  const room = await sharedRoom();
  for (let i = 0; i < 25; i++) await say(alice, room, `m${i}`);
  const page1 = await bob.get(`/rooms/${enc(room)}/messages?dir=b&limit=10`);
  t.equal(page1.status, 200);
  t.same(page1.body.chunk.map((e: any) => e.content.body), Array.from({ length: 10 }, (_, i) => `m${24 - i}`), 'newest first');
  const page2 = await bob.get(`/rooms/${enc(room)}/messages?dir=b&limit=10&from=${enc(page1.body.end)}`);
  t.same(page2.body.chunk.map((e: any) => e.content.body), Array.from({ length: 10 }, (_, i) => `m${14 - i}`));
  const forward = await bob.get(`/rooms/${enc(room)}/messages?dir=f&limit=5&from=${enc(page2.body.end)}`);
  t.same(forward.body.chunk.map((e: any) => e.content.body), ['m6', 'm7', 'm8', 'm9', 'm10'], 'forward from the same token');
  let from = page2.body.end;
  let all: any[] = [];
  for (;;) {
    const p = await bob.get(`/rooms/${enc(room)}/messages?dir=b&limit=50&from=${enc(from)}`);
    if (p.body.chunk.length === 0) break;
    all = all.concat(p.body.chunk);
    from = p.body.end;
  }
  t.equal(all[all.length - 1].type, 'm.room.create', 'paging back reaches the creation of the room');
  const initial = await bob.get('/initialSync?limit=3');
  const r = initial.body.rooms.find((x: any) => x.room_id === room);
  const older = await bob.get(`/rooms/${enc(room)}/messages?dir=b&limit=3&from=${enc(r.messages.start)}`);
  t.same(older.body.chunk.map((e: any) => e.content.body), ['m21', 'm20', 'm19'], 'initialSync start token continues backwards');
  t.equal((await new Client(server.url, (await Client.register(server, 'eve')).token).get(`/rooms/${enc(room)}/messages`)).status, 403, 'non-members are refused');
});

t.test('room state reads: whole state, one event, trailing slash, members, 404', async (t) => {
  const room = await sharedRoom();
  await alice.put(`/rooms/${enc(room)}/state/m.room.topic/`, { topic: 'hello' });
  t.same((await bob.get(`/rooms/${enc(room)}/state/m.room.topic`)).body, { topic: 'hello' });
  t.same((await bob.get(`/rooms/${enc(room)}/state/m.room.topic/`)).body, { topic: 'hello' }, 'trailing slash = empty state key');
  t.same((await bob.get(`/rooms/${enc(room)}/state/m.room.member/${enc(alice.userId!)}`)).body.membership, 'join');
  const missing = await bob.get(`/rooms/${enc(room)}/state/m.room.avatar`);
  t.equal(missing.status, 404);
  t.equal(missing.body.errcode, 'M_NOT_FOUND');
  const all = await bob.get(`/rooms/${enc(room)}/state`);
  t.ok(Array.isArray(all.body) && all.body.some((e: any) => e.type === 'm.room.topic' && e.content.topic === 'hello'));
  const members = await bob.get(`/rooms/${enc(room)}/members`);
  t.same(members.body.chunk.map((e: any) => e.state_key).sort(), [alice.userId, bob.userId].sort());
  const topic2 = await alice.put(`/rooms/${enc(room)}/state/m.room.topic`, { topic: 'second' });
  const ev = await bob.get(`/events/${enc(topic2.body.event_id)}`);
  t.same(ev.body.prev_content, { topic: 'hello' }, 'state changes carry prev_content');
  t.type(ev.body.replaces_state, 'string');
});

t.test('a redacted message comes back with empty content and redacted_because', async (t) => {
  const room = await sharedRoom();
  const id = (await say(bob, room, 'regret')).body.event_id;
  await alice.post(`/rooms/${enc(room)}/redact/${enc(id)}`, { reason: 'spam' });
  const ev = await bob.get(`/events/${enc(id)}`);
  t.same(ev.body.content, {});
  t.equal(ev.body.redacted_because?.content?.reason, 'spam');
  const page = await bob.get(`/rooms/${enc(room)}/messages?dir=b&limit=5`);
  t.same(page.body.chunk.find((e: any) => e.event_id === id)?.content, {});
});

t.test('typing shows in /events and expires after its timeout', async (t) => {
  const room = await sharedRoom();
  const end = (await bob.get('/initialSync?limit=0')).body.end;
  t.equal((await alice.put(`/rooms/${enc(room)}/typing/${enc(alice.userId!)}`, { typing: true, timeout: 300 })).status, 200);
  const res = await bob.get(`/events?from=${enc(end)}&timeout=5000`);
  const typing = res.body.chunk.find((e: any) => e.type === 'm.typing' && e.room_id === room);
  t.same(typing?.content.user_ids, [alice.userId]);
  const later = await bob.get(`/events?from=${enc(res.body.end)}&timeout=5000`);
  const stopped = later.body.chunk.find((e: any) => e.type === 'm.typing' && e.room_id === room);
  t.same(stopped?.content.user_ids, [], 'the typing notice expired');
  const other = await alice.put(`/rooms/${enc(room)}/typing/${enc(bob.userId!)}`, { typing: true, timeout: 1000 });
  t.equal(other.status, 403, "cannot set another user's typing");
});

t.test('presence: set, read, see in the stream, refused for strangers and bad states', async (t) => {
  await sharedRoom();
  const end = (await bob.get('/initialSync?limit=0')).body.end;
  t.equal((await alice.put(`/presence/${enc(alice.userId!)}/status`, { presence: 'unavailable', status_msg: 'lunch' })).status, 200);
  const status = await bob.get(`/presence/${enc(alice.userId!)}/status`);
  t.equal(status.body.presence, 'unavailable');
  t.equal(status.body.status_msg, 'lunch');
  const res = await bob.get(`/events?from=${enc(end)}&timeout=5000`);
  const p = res.body.chunk.find((e: any) => e.type === 'm.presence' && e.content.user_id === alice.userId);
  t.equal(p?.content.presence, 'unavailable');
  t.equal((await alice.put(`/presence/${enc(alice.userId!)}/status`, { presence: 'sleepy' })).status, 400);
  const eve = await Client.register(server, 'eve2');
  t.equal((await eve.get(`/presence/${enc(alice.userId!)}/status`)).status, 404, 'no shared room: not visible');
  t.equal((await eve.post(`/presence/list/${enc(eve.userId!)}`, { invite: [alice.userId] })).status, 200);
  const list = await eve.get(`/presence/list/${enc(eve.userId!)}`);
  t.equal(list.body[0]?.user_id, alice.userId);
});

t.test('read receipts reach the other members', async (t) => {
  const room = await sharedRoom();
  const id = (await say(alice, room, 'read me')).body.event_id;
  const end = (await alice.get('/initialSync?limit=0')).body.end;
  const r = await bob.req('POST', `/_matrix/client/v2_alpha/rooms/${enc(room)}/receipt/m.read/${enc(id)}`, {});
  t.equal(r.status, 200);
  const res = await alice.get(`/events?from=${enc(end)}&timeout=5000`);
  const receipt = res.body.chunk.find((e: any) => e.type === 'm.receipt' && e.room_id === room);
  t.ok(receipt?.content[id]['m.read'][bob.userId!].ts, 'receipt with a timestamp');
});

t.test('a left room can be forgotten and leaves archived initialSync; joining again brings it back', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id;
  await bob.post(`/join/${enc(room)}`);
  await bob.post(`/rooms/${enc(room)}/leave`);
  const listed = (await bob.get('/initialSync?limit=0&archived=true')).body.rooms.find((r: any) => r.room_id === room);
  t.equal(listed?.membership, 'leave', 'archived initialSync lists the left room');
  t.equal((await bob.post(`/rooms/${enc(room)}/forget`)).status, 200);
  t.notOk((await bob.get('/initialSync?limit=0&archived=true')).body.rooms.some((r: any) => r.room_id === room), 'forgotten');
  await bob.post(`/join/${enc(room)}`);
  t.ok((await bob.get('/initialSync?limit=0')).body.rooms.some((r: any) => r.room_id === room), 'back after joining');
  // Synapse 0.12 (SyTest 30rooms/14forget): forgetting a room you are in leaves it first.
  t.equal((await bob.post(`/rooms/${enc(room)}/forget`)).status, 200, 'forgetting a joined room is allowed');
  const member = await alice.get(`/rooms/${enc(room)}/state/m.room.member/${enc(bob.userId!)}`);
  t.equal(member.body.membership, 'leave', 'and leaves it');
});
