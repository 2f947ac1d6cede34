// Synapse 0.12's user_joined_room: a join exchanges presence between the joiner and the members.
import t from 'tap';
import { Client, waitFor } from '../helpers/server.js';
import { enc, pairFor } from './helpers.js';

t.test('a remote join brings the joiner\'s presence to the members and the members\' presence to the joiner\'s server', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await Client.register(A, 'alice');
  const bob = await Client.register(B, 'bob');
  await alice.put(`/profile/${enc(alice.userId!)}/displayname`, { displayname: 'Alice' });
  await alice.get('/events?timeout=0'); // alice comes online
  await bob.get('/events?timeout=0'); // and so does bob, before sharing a room
  const { body: { room_id } } = await alice.post('/createRoom', { room_alias_name: 'presence', visibility: 'public' });
  const from = (await alice.get('/events?timeout=0')).body.end;
  const joined = await bob.post(`/join/${enc(`#presence:${A.serverName}`)}`, {});
  t.equal(joined.status, 200, joined.text);
  let token = from;
  await waitFor(async () => {
    const res = await alice.get(`/events?from=${enc(token)}&timeout=1000`);
    token = res.body.end;
    return res.body.chunk.some((e: any) => e.type === 'm.presence' && e.content.user_id === bob.userId);
  }, "bob's presence in alice's stream");
  t.pass("alice saw bob's presence");
  const seen = await waitFor(async () => {
    const res = await bob.get(`/rooms/${enc(room_id)}/initialSync`);
    return res.body.presence?.find((e: any) => e.content.user_id === alice.userId);
  }, "alice's presence on B");
  t.equal(seen.content.presence, 'online');
  t.equal(seen.content.displayname, 'Alice', 'with the profile her presence carried');
  const global = await bob.get('/initialSync?limit=1');
  t.equal(global.body.presence.find((e: any) => e.content.user_id === alice.userId)?.content.displayname, 'Alice');
});

t.test('a local join shows the joiner\'s presence to the existing members', async (t) => {
  const [A] = await pairFor(t);
  const alice = await Client.register(A, 'alice');
  const carol = await Client.register(A, 'carol');
  await carol.get('/events?timeout=0');
  const { body: { room_id } } = await alice.post('/createRoom', { visibility: 'public' });
  const from = (await alice.get('/events?timeout=0')).body.end;
  await carol.post(`/rooms/${enc(room_id)}/join`, {});
  let token = from;
  await waitFor(async () => {
    const res = await alice.get(`/events?from=${enc(token)}&timeout=1000`);
    token = res.body.end;
    return res.body.chunk.some((e: any) => e.type === 'm.presence' && e.content.user_id === carol.userId);
  }, "carol's presence in alice's stream");
  t.pass();
});
