// Synapse 0.12 did not check signatures on send_join; 2015 peers send the make_join template
// back unsigned. Accepted only when the authenticated origin is the joining user's server.
import t from 'tap';
import { Client } from '../helpers/server.js';
import { enc, signedRequest, pairFor } from './helpers.js';

const FED = '/_matrix/federation/v1';

t.test('an unsigned join sent by the joining user\'s own server is accepted by send_join', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await Client.register(A, 'alice');
  const { body: { room_id } } = await alice.post('/createRoom', { visibility: 'public' });
  const bob = `@bob:${B.serverName}`;
  const made = await signedRequest(B, A, 'GET', `${FED}/make_join/${enc(room_id)}/${enc(bob)}`);
  t.equal(made.status, 200, made.text);
  const { hashes: _h, signatures: _s, unsigned: _u, ...proto } = made.body.event;
  const event = { ...proto, event_id: `$unsigned1:${B.serverName}`, origin: B.serverName, origin_server_ts: Date.now() };
  const sent = await signedRequest(B, A, 'PUT', `${FED}/send_join/${enc(room_id)}/${enc(event.event_id)}`, { body: event });
  t.equal(sent.status, 200, sent.text);
  const members = await alice.get(`/rooms/${enc(room_id)}/state/m.room.member/${enc(bob)}`);
  t.same(members.body, { membership: 'join' }, 'bob is joined on A');
});

t.test('an unsigned join for a user of another server is refused', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await Client.register(A, 'alice');
  const { body: { room_id } } = await alice.post('/createRoom', { visibility: 'public' });
  const bob = `@bob:${B.serverName}`;
  const made = await signedRequest(B, A, 'GET', `${FED}/make_join/${enc(room_id)}/${enc(bob)}`);
  const { hashes: _h, signatures: _s, unsigned: _u, ...proto } = made.body.event;
  // B claims an event from A's server (origin and sender elsewhere): no transport vouches for it.
  const mallory = `@mallory:${A.serverName}`;
  const forged = { ...proto, sender: mallory, state_key: mallory, event_id: `$forged:${A.serverName}`, origin: A.serverName, origin_server_ts: Date.now() };
  const res = await signedRequest(B, A, 'PUT', `${FED}/send_join/${enc(room_id)}/${enc(forged.event_id)}`, { body: forged });
  t.equal(res.status, 403, res.text);
  const state = await alice.get(`/rooms/${enc(room_id)}/state/m.room.member/${enc(mallory)}`);
  t.equal(state.status, 404, 'nothing was stored');
});
