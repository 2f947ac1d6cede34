// SPEC-216 as Synapse 0.12 had it: a room you left stays readable up to your leave.
import t from 'tap';
import { startServer, Client, enc } from '../helpers/server.js';

t.test('a user who left reads /messages and room initialSync up to the leave, nothing after it', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const bob = await Client.register(s, 'bob');
  const { body: { room_id } } = await bob.post('/createRoom', { visibility: 'public' });
  await alice.post(`/rooms/${enc(room_id)}/join`, {});
  await bob.put(`/rooms/${enc(room_id)}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'before' });
  await alice.post(`/rooms/${enc(room_id)}/leave`, {});
  await bob.put(`/rooms/${enc(room_id)}/send/m.room.message/m2`, { msgtype: 'm.text', body: 'after' });

  const back = await alice.get(`/rooms/${enc(room_id)}/messages?dir=b&limit=2`);
  t.equal(back.status, 200, back.text);
  t.equal(back.body.chunk[0].content.membership, 'leave', 'newest is her leave');
  t.equal(back.body.chunk[1].content.body, 'before');
  t.notOk(back.body.chunk.some((e: any) => e.content.body === 'after'));

  const fwd = await alice.get(`/rooms/${enc(room_id)}/messages?dir=f&limit=50&from=t0-0`);
  t.equal(fwd.status, 200, fwd.text);
  t.notOk(fwd.body.chunk.some((e: any) => e.content.body === 'after'), 'forwards stops at the leave too');

  const bounded = await alice.get(`/rooms/${enc(room_id)}/messages?dir=b&limit=2&to=t10000-0_0_0_0`);
  t.equal(bounded.status, 200, "Synapse's topological token with stream parts is understood");
  t.same(bounded.body.chunk, []);

  const init = await alice.get(`/rooms/${enc(room_id)}/initialSync?limit=2`);
  t.equal(init.body.membership, 'leave');
  t.same(init.body.presence, [], 'no presence after leaving');
  t.same(init.body.receipts, [], 'no receipts after leaving');

  const carol = await Client.register(s, 'carol');
  const never = await carol.get(`/rooms/${enc(room_id)}/messages?dir=b&limit=2`);
  t.equal(never.status, 403, 'a user who was never in the room still cannot read it');
});
