import t from 'tap';
import { Client } from '../helpers/server.js';
import { enc, pairFor } from './helpers.js';

t.test('rejecting an invite from another server answers once the inviting server has the leave', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await Client.register(A, 'alice');
  const bob = await Client.register(B, 'bob');
  const { body: { room_id } } = await alice.post('/createRoom', { visibility: 'private' });
  const invited = await alice.post(`/rooms/${enc(room_id)}/invite`, { user_id: bob.userId });
  t.equal(invited.status, 200, invited.text);
  const left = await bob.post(`/rooms/${enc(room_id)}/leave`, {});
  t.equal(left.status, 200, left.text);
  const state = await alice.get(`/rooms/${enc(room_id)}/state/m.room.member/${enc(bob.userId!)}`);
  t.same(state.body, { membership: 'leave' }, 'no wait needed on the inviting side');
});
