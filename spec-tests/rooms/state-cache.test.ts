// The write path keeps each room's current state in memory for local sends (rooms/room-state-cache.ts)
// and the joined members for fan-out (storage/state.ts): every state change, local or from
// another server, must take effect on the very next send, and a rolled-back write must leave
// nothing behind, neither in SQLite nor in memory.
import t from 'tap';
import { startServer, Client, enc } from '../helpers/server.js';
import { pairFor, register, waitFor } from '../federation/helpers.js';

const msg = (body: string) => ({ msgtype: 'm.text', body });

t.test('every local state change applies to the very next send', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const roomId: string = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id;
  const send = (c: Client, txn: string) => c.put(`/rooms/${enc(roomId)}/send/m.room.message/${txn}`, msg(txn));

  t.equal((await send(bob, 'b0')).status, 403, 'not a member yet');
  t.equal((await bob.post(`/join/${enc(roomId)}`)).status, 200);
  t.equal((await send(bob, 'b1')).status, 200, 'a member may send');
  t.equal((await send(alice, 'a1')).status, 200);

  const pl = (await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
  t.equal((await alice.put(`/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...pl, events_default: 50 })).status, 200);
  t.equal((await send(bob, 'b2')).status, 403, 'events_default raised: the next send is refused');
  t.equal((await send(alice, 'a2')).status, 200, 'the room admin still sends');
  t.equal((await alice.put(`/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...pl, events_default: 0 })).status, 200);
  t.equal((await send(bob, 'b3')).status, 200, 'lowered again: allowed again');

  t.equal((await alice.post(`/rooms/${enc(roomId)}/kick`, { user_id: bob.userId })).status, 200);
  t.equal((await send(bob, 'b4')).status, 403, 'kicked: refused');
  t.equal((await bob.post(`/join/${enc(roomId)}`)).status, 200);
  t.equal((await send(bob, 'b5')).status, 200, 'rejoined: allowed');
  t.equal((await alice.post(`/rooms/${enc(roomId)}/ban`, { user_id: bob.userId })).status, 200);
  t.equal((await send(bob, 'b6')).status, 403, 'banned: refused');
  t.equal((await bob.post(`/join/${enc(roomId)}`)).status, 403, 'banned: cannot rejoin');

  const page = await alice.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
  const bodies = page.body.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body).reverse();
  t.same(bodies, ['b1', 'a1', 'a2', 'b3', 'b5'], 'exactly the allowed sends are stored, in order');
  const members = await alice.get(`/rooms/${enc(roomId)}/members`);
  t.same(members.body.chunk.map((m: any) => [m.state_key, m.content.membership]).sort(),
    [[alice.userId, 'join'], [bob.userId, 'ban']].sort());
});

t.test('events rolled back together leave no trace in the state used by the next send', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const roomId: string = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id;
  t.equal((await bob.post(`/join/${enc(roomId)}`)).status, 200);
  const before = server.hs.storage.events.forwardExtremities(roomId);

  // Several events in one transaction (as createRoom does): the third fails, so none is stored,
  // although the first two were authorised against the state the others left.
  const { persister } = server.hs;
  await t.rejects(persister.createLocalEvents([
    { type: 'm.room.member', room_id: roomId, sender: alice.userId!, state_key: bob.userId!, content: { membership: 'ban' } },
    { type: 'm.room.topic', room_id: roomId, sender: alice.userId!, state_key: '', content: { topic: 'rolled back' } },
    { type: 'm.room.topic', room_id: roomId, sender: alice.userId!, state_key: 'x'.repeat(300), content: { topic: 'too long a key' } },
  ]));
  t.same(server.hs.storage.events.forwardExtremities(roomId), before, 'the extremities are unchanged');
  t.equal((await alice.get(`/rooms/${enc(roomId)}/state/m.room.topic`)).status, 404, 'no topic was stored');

  const sent = await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, msg('still a member'));
  t.equal(sent.status, 200, 'the rolled-back ban does not apply');
  const row = server.hs.storage.events.getEvent(sent.body.event_id)!;
  const pdu = JSON.parse(row.json);
  t.same(pdu.prev_events.map((p: [string]) => p[0]), before, 'the next event follows the real extremity');
  for (const [id] of pdu.auth_events) t.ok(server.hs.storage.events.hasEvent(id), `auth event ${id} is stored`);
  const members = await alice.get(`/rooms/${enc(roomId)}/members`);
  t.same(members.body.chunk.map((m: any) => [m.state_key, m.content.membership]).sort(),
    [[alice.userId, 'join'], [bob.userId, 'join']].sort(), 'both still joined');
});

t.test('a state change from another server applies to the next local send', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const carol = await register(A, 'carol');
  const bob = await register(B, 'bob');
  const roomId: string = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id;
  t.equal((await carol.post(`/join/${enc(roomId)}`)).status, 200);
  t.equal((await bob.post(`/join/${enc(roomId)}`)).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(roomId, bob.userId!) === 'join', "bob's join on A");
  const pl = (await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
  const users = { ...pl.users, [bob.userId!]: 100 };
  t.equal((await alice.put(`/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...pl, users })).status, 200);
  t.equal((await carol.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, msg('before'))).status, 200);
  await waitFor(async () => (await bob.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body?.users?.[bob.userId!] === 100, 'the power on B');

  t.equal((await bob.put(`/rooms/${enc(roomId)}/state/m.room.power_levels`, { ...pl, users, events_default: 50 })).status, 200);
  await waitFor(async () => (await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body?.events_default === 50, "B's change on A");
  t.equal((await carol.put(`/rooms/${enc(roomId)}/send/m.room.message/2`, msg('after'))).status, 403, "A applies B's change to its own users");

  t.equal((await bob.post(`/rooms/${enc(roomId)}/kick`, { user_id: carol.userId })).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(roomId, carol.userId!) === 'leave', "B's kick on A");
  const members = await alice.get(`/rooms/${enc(roomId)}/members`);
  t.same(members.body.chunk.filter((m: any) => m.content.membership === 'join').map((m: any) => m.state_key).sort(),
    [alice.userId, bob.userId].sort(), 'the joined members on A follow the remote kick');
  t.same([...A.hs.storage.state.membersWith(roomId, 'join')].sort(), [alice.userId, bob.userId].sort());
});
