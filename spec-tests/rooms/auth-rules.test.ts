// The room authorization rules as a client meets them over HTTP: forbidden actions answer
// 403 M_FORBIDDEN and store nothing.
import t from 'tap';
import { startServer, Client, enc, type TestServer } from '../helpers/server.js';

let server: TestServer;
let alice: Client, bob: Client, carol: Client;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob');
  carol = await Client.register(server, 'carol');
});
t.teardown(() => server.close());

async function privateRoom(): Promise<string> {
  const res = await alice.post('/createRoom', { visibility: 'private' });
  if (res.status !== 200) throw new Error(res.text);
  return res.body.room_id;
}

const send = (c: Client, room: string, body: unknown = { msgtype: 'm.text', body: 'hi' }) =>
  c.post(`/rooms/${enc(room)}/send/m.room.message`, body);
/** What alice (the creator, always in the room) reads from the room state. */
async function stateOf(room: string, type: string, key = ''): Promise<any> {
  const res = await alice.get(`/rooms/${enc(room)}/state/${type}/${enc(key)}`);
  return res.status === 200 ? res.body : null;
}
const memberOf = async (room: string, user: string) => (await stateOf(room, 'm.room.member', user))?.membership ?? null;
/** The newest events of the room, as alice pages back through it. */
const latest = async (room: string) => (await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=50`)).body.chunk as any[];

t.test('joining an invite-only room uninvited is forbidden and leaves no member event', async (t) => {
  const room = await privateRoom();
  const res = await bob.post(`/join/${enc(room)}`);
  t.equal(res.status, 403);
  t.equal(res.body.errcode, 'M_FORBIDDEN');
  t.equal(await memberOf(room, bob.userId!), null);
});

t.test('an invited user can join and talk; a non-member cannot send', async (t) => {
  const room = await privateRoom();
  t.equal((await send(bob, room)).status, 403, 'not yet in the room');
  t.equal((await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId })).status, 200);
  t.equal(await memberOf(room, bob.userId!), 'invite');
  t.equal((await bob.post(`/rooms/${enc(room)}/join`)).status, 200);
  const sent = await send(bob, room);
  t.equal(sent.status, 200);
  t.match(sent.body.event_id, /^\$.+:localhost:\d+$/);
});

t.test('an invited user may reject the invite by leaving', async (t) => {
  const room = await privateRoom();
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: carol.userId });
  t.equal((await carol.post(`/rooms/${enc(room)}/leave`)).status, 200);
  t.equal(await memberOf(room, carol.userId!), 'leave');
});

t.test('a ban beats an invite and a join', async (t) => {
  const room = await privateRoom();
  t.equal((await alice.post(`/rooms/${enc(room)}/ban`, { user_id: carol.userId, reason: 'spam' })).status, 200);
  const invite = await alice.post(`/rooms/${enc(room)}/invite`, { user_id: carol.userId });
  t.equal(invite.status, 403);
  t.match(invite.body.error, /banned/);
  t.equal((await carol.post(`/join/${enc(room)}`)).status, 403);
  t.equal(await memberOf(room, carol.userId!), 'ban');
});

t.test('state events need the power level the room asks for', async (t) => {
  const room = await privateRoom();
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await bob.post(`/rooms/${enc(room)}/join`);
  const cases: [string, Client, string, number][] = [
    ['m.room.name needs 50', bob, 'm.room.name', 403],
    ['m.room.topic needs state_default 50', bob, 'm.room.topic', 403],
    ['m.room.power_levels needs 100', bob, 'm.room.power_levels', 403],
    ['the creator may set the name', alice, 'm.room.name', 200],
  ];
  for (const [name, who, type, status] of cases) {
    const content = type === 'm.room.power_levels' ? { users: { [bob.userId!]: 100 } } : { name: 'x', topic: 'y' };
    const res = await who.put(`/rooms/${enc(room)}/state/${type}`, content);
    t.equal(res.status, status, name);
    if (status === 403) t.equal(res.body.errcode, 'M_FORBIDDEN', `${name}: M_FORBIDDEN`);
  }
});

t.test('nobody can raise a power level above their own', async (t) => {
  const room = await privateRoom();
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await bob.post(`/rooms/${enc(room)}/join`);
  const pl = await stateOf(room, 'm.room.power_levels');
  const users = { ...(pl.users as object), [bob.userId!]: 100 };
  const give = await alice.put(`/rooms/${enc(room)}/state/m.room.power_levels`, { ...pl, users, events: { ...(pl.events as object), 'm.room.power_levels': 50 } });
  t.equal(give.status, 200, 'alice (100) may give bob 100');
  const users2 = { ...users, [bob.userId!]: 100, [alice.userId!]: 50 };
  const demote = await bob.put(`/rooms/${enc(room)}/state/m.room.power_levels`, { ...pl, users: users2 });
  t.equal(demote.status, 403, 'bob may not change a user at his own level');
});

t.test('redaction needs power, except for your own events', async (t) => {
  const room = await privateRoom();
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await bob.post(`/rooms/${enc(room)}/join`);
  const aliceMsg = (await send(alice, room)).body.event_id;
  const bobMsg = (await send(bob, room)).body.event_id;
  const r1 = await bob.post(`/rooms/${enc(room)}/redact/${enc(aliceMsg)}`, { reason: 'no' });
  t.equal(r1.status, 403, "bob (0) cannot redact alice's message");
  const r2 = await bob.post(`/rooms/${enc(room)}/redact/${enc(bobMsg)}`, {});
  t.equal(r2.status, 200, 'bob can redact his own message');
  const r3 = await alice.put(`/rooms/${enc(room)}/redact/${enc(aliceMsg)}/r1`, { reason: 'oops' });
  t.equal(r3.status, 200, 'alice (100) can redact');
  const redacted = (await latest(room)).find((e) => e.event_id === aliceMsg);
  t.same(redacted.content, {}, 'the redacted event is served without its content');
});

t.test('kicking needs the kick level and a higher level than the target', async (t) => {
  const room = await privateRoom();
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await bob.post(`/rooms/${enc(room)}/join`);
  t.equal((await bob.post(`/rooms/${enc(room)}/kick`, { user_id: alice.userId })).status, 403);
  t.equal((await alice.post(`/rooms/${enc(room)}/kick`, { user_id: bob.userId })).status, 200);
  t.equal(await memberOf(room, bob.userId!), 'leave');
  t.equal((await send(bob, room)).status, 403, 'a kicked user cannot send');
});

t.test('bad input gets a clear error and stores nothing', async (t) => {
  const room = await privateRoom();
  const before = (await latest(room)).map((e) => e.event_id);
  const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
    ['unknown room', () => send(alice, '!nope:' + server.serverName), 404, 'M_NOT_FOUND'],
    ['message without msgtype', () => send(alice, room, { body: 'x' }), 400, 'M_BAD_JSON'],
    ['content that is not an object', () => send(alice, room, [1, 2]), 400, 'M_NOT_JSON'],
    ['body that is not JSON', () => alice.req('POST', `/rooms/${enc(room)}/send/m.room.message`, undefined, { rawBody: '{"msgtype":' }), 400, 'M_NOT_JSON'],
    ['a float in content', () => send(alice, room, { msgtype: 'm.text', body: 'x', n: 1.5 }), 400, 'M_BAD_JSON'],
    ['an event over 65536 bytes', () => send(alice, room, { msgtype: 'm.text', body: 'x'.repeat(70_000) }), 413, 'M_TOO_LARGE'],
    ['invite without user_id', () => alice.post(`/rooms/${enc(room)}/invite`, {}), 400, 'M_MISSING_PARAM'],
    ['no access token', () => new Client(server.url).post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'x' }), 401, 'M_MISSING_TOKEN'],
    ['a wrong access token', () => new Client(server.url, 'nope').post(`/rooms/${enc(room)}/send/m.room.message`, {}), 401, 'M_UNKNOWN_TOKEN'],
  ];
  for (const [name, call, status, errcode] of cases) {
    const res = await call();
    t.equal(res.status, status, `${name}: status`);
    t.equal(res.body?.errcode, errcode, `${name}: errcode`);
    t.type(res.body?.error, 'string', `${name}: has an error text`);
  }
  t.same((await latest(room)).map((e) => e.event_id), before, 'no event was stored');
});

t.test('createRoom follows Synapse: default public, alias, name, topic, invites, and refuses a taken alias', async (t) => {
  const res = await alice.post('/createRoom', { room_alias_name: 'lounge', name: 'Lounge', topic: 'chat', invite: [bob.userId] });
  t.equal(res.status, 200);
  t.equal(res.body.room_alias, `#lounge:${server.serverName}`);
  const room = res.body.room_id;
  const jr = await stateOf(room, 'm.room.join_rules');
  t.same(jr, { join_rule: 'public' }, 'no visibility means public, as in Synapse 0.10');
  t.equal(await memberOf(room, bob.userId!), 'invite');
  t.same(await stateOf(room, 'm.room.aliases', server.serverName), { aliases: [`#lounge:${server.serverName}`] });
  const pl = await stateOf(room, 'm.room.power_levels');
  for (const k of ['users', 'users_default', 'events', 'events_default', 'state_default', 'ban', 'kick', 'redact', 'invite']) {
    t.ok(k in pl, `power levels have ${k}`);
  }
  const again = await bob.post('/createRoom', { room_alias_name: 'lounge' });
  t.equal(again.status, 400);
  t.equal(again.body.errcode, 'M_UNKNOWN');
});
