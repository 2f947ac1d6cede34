// Room behaviours as Synapse 0.12 had them, which SyTest (Dec 2015) checks.
import t from 'tap';
import { startServer, Client, enc } from '../helpers/server.js';

t.test('setting the same state twice returns the same event, a different content makes a new one', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const { body: { room_id } } = await alice.post('/createRoom', {});
  const one = await alice.put(`/rooms/${enc(room_id)}/state/my.state/k`, { a: 1, b: [1, 2] });
  const two = await alice.put(`/rooms/${enc(room_id)}/state/my.state/k`, { b: [1, 2], a: 1 });
  t.equal(one.status, 200);
  t.equal(two.body.event_id, one.body.event_id, 'same content (canonically): no new event');
  const three = await alice.put(`/rooms/${enc(room_id)}/state/my.state/k`, { a: 2 });
  t.not(three.body.event_id, one.body.event_id);
  const msgs = await alice.get(`/rooms/${enc(room_id)}/messages?dir=b&limit=20`);
  t.equal(msgs.body.chunk.filter((e: any) => e.type === 'my.state').length, 2, 'two events in the timeline');
});

t.test('m.room.canonical_alias must name an alias that points to the room', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const { body: { room_id, room_alias } } = await alice.post('/createRoom', { room_alias_name: 'canon' });
  const { body: other } = await alice.post('/createRoom', { room_alias_name: 'other' });
  const ok = await alice.put(`/rooms/${enc(room_id)}/state/m.room.canonical_alias`, { alias: room_alias });
  t.equal(ok.status, 200, ok.text);
  const missing = await alice.put(`/rooms/${enc(room_id)}/state/m.room.canonical_alias`, { alias: `#NOT-canon:${s.serverName}` });
  t.equal(missing.status, 404, 'an unknown alias is refused');
  const elsewhere = await alice.put(`/rooms/${enc(room_id)}/state/m.room.canonical_alias`, { alias: other.room_alias });
  t.equal(elsewhere.status, 400, 'an alias of another room is refused');
  const state = await alice.get(`/rooms/${enc(room_id)}/state/m.room.canonical_alias`);
  t.same(state.body, { alias: room_alias }, 'the refused ones changed nothing');
});

t.test('createRoom creation_content goes into m.room.create; the creator stays the requester', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const res = await alice.post('/createRoom', { creation_content: { 'm.federate': false, creator: '@mallory:elsewhere' } });
  t.equal(res.status, 200, res.text);
  const create = await alice.get(`/rooms/${enc(res.body.room_id)}/state/m.room.create`);
  t.same(create.body, { 'm.federate': false, creator: alice.userId });
  const bad = await alice.post('/createRoom', { creation_content: 'x' });
  t.equal(bad.status, 400);
});

t.test('typing accepts a number for its truth, as Synapse did', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const { body: { room_id } } = await alice.post('/createRoom', {});
  const on = await alice.put(`/rooms/${enc(room_id)}/typing/${enc(alice.userId!)}`, { typing: 1, timeout: 30000 });
  t.equal(on.status, 200, on.text);
  const init = await alice.get(`/rooms/${enc(room_id)}/initialSync`);
  t.equal(init.status, 200);
  const bad = await alice.put(`/rooms/${enc(room_id)}/typing/${enc(alice.userId!)}`, { typing: 'yes' });
  t.equal(bad.status, 400);
});
