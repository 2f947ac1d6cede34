import t from 'tap';
import { enc, messageBodies, readEventsUntil, register, signedRequest, pairFor, waitFor } from './helpers.js';

t.test('a user on another server joins by alias; messages and state cross both ways', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const created = await alice.post('/createRoom', { room_alias_name: 'lounge', name: 'Lounge' });
  t.equal(created.status, 200);
  const roomId: string = created.body.room_id;
  const aliceSync = await alice.get('/initialSync?limit=1');
  const bobSync = await bob.get('/initialSync?limit=1');

  const joined = await bob.post(`/join/${enc(`#lounge:${A.serverName}`)}`, {});
  t.equal(joined.status, 200, 'join by remote alias');
  t.equal(joined.body.room_id, roomId);
  const bobState = await bob.get(`/rooms/${enc(roomId)}/state/m.room.name`);
  t.same(bobState.body, { name: 'Lounge' }, 'B holds the room state it received in send_join');

  const sent = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/a1`, { msgtype: 'm.text', body: 'hello from A' });
  const seen = await readEventsUntil(bob, bobSync.body.end, (evs) => messageBodies(evs).includes('hello from A'), "A's message");
  const ev = seen.events.find((e) => e.content?.body === 'hello from A');
  t.equal(ev.event_id, sent.body.event_id);
  t.equal(ev.user_id, alice.userId);
  t.equal(ev.room_id, roomId);

  await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/b1`, { msgtype: 'm.text', body: 'hello from B' });
  const aliceSeen = await readEventsUntil(alice, aliceSync.body.end, (evs) => messageBodies(evs).includes('hello from B'), "B's message");
  t.ok(aliceSeen.events.some((e) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'join'),
    "A's clients see B's user join");

  const topic = await alice.put(`/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'federation works' });
  t.equal(topic.status, 200);
  await waitFor(async () => (await bob.get(`/rooms/${enc(roomId)}/state/m.room.topic`)).body?.topic === 'federation works', 'topic on B');
  const members = await alice.get(`/rooms/${enc(roomId)}/members`);
  t.same(
    members.body.chunk.map((m: any) => [m.state_key, m.content.membership]).sort(),
    [[alice.userId, 'join'], [bob.userId, 'join']].sort(),
    'both servers agree on the members',
  );

  await bob.post(`/rooms/${enc(roomId)}/leave`, {});
  await waitFor(() => A.hs.storage.state.membershipOf(roomId, bob.userId!) === 'leave', 'the leave on A');
  await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/a2`, { msgtype: 'm.text', body: 'after bob left' });
  t.same(A.hs.federation!.outbound.destinationsFor({ room_id: roomId, type: 'm.room.message' } as any), [], 'A stops sending to B');
});

t.test('inviting a user on another server: the invitee sees the invite and joins through the inviter', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const { body } = await alice.post('/createRoom', { visibility: 'private' });
  const roomId: string = body.room_id;
  const before = await bob.get('/initialSync?limit=1');

  const invited = await alice.post(`/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
  t.equal(invited.status, 200);
  const stream = await readEventsUntil(bob, before.body.end, (evs) => evs.some((e) => e.type === 'm.room.member'), 'the invite');
  const invite = stream.events.find((e) => e.type === 'm.room.member');
  t.equal(invite.state_key, bob.userId);
  t.equal(invite.content.membership, 'invite');
  t.equal(invite.user_id, alice.userId);
  const sync = await bob.get('/initialSync?limit=1');
  const room = sync.body.rooms.find((r: any) => r.room_id === roomId);
  t.equal(room?.membership, 'invite', 'initialSync lists the invite');
  t.equal(room?.inviter, alice.userId);

  const stranger = await register(B, 'carol');
  const refused = await stranger.post(`/join/${enc(roomId)}`, {});
  t.equal(refused.status, 403, 'an uninvited user of B cannot join the invite-only room');

  const joined = await bob.post(`/join/${enc(roomId)}`, {});
  t.equal(joined.status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(roomId, bob.userId!) === 'join', 'the join on A');
  const sent = await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'thanks for the invite' });
  await waitFor(() => A.hs.storage.events.getEvent(sent.body.event_id), "B's message on A");
});

t.test('history from before a server joined is fetched with backfill by /messages', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const { body } = await alice.post('/createRoom', { room_alias_name: 'history' });
  const roomId: string = body.room_id;
  for (let i = 0; i < 5; i++) await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/h${i}`, { msgtype: 'm.text', body: `old ${i}` });
  await bob.post(`/join/${enc(`#history:${A.serverName}`)}`, {});

  const res = await bob.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=30`);
  t.equal(res.status, 200);
  const bodies = messageBodies(res.body.chunk);
  t.same(bodies, ['old 4', 'old 3', 'old 2', 'old 1', 'old 0'], 'older messages, newest first');
  t.ok(res.body.chunk.some((e: any) => e.type === 'm.room.create'), 'back to the creation of the room');
});

t.test('the federation read API serves servers in the room and refuses others', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const { body } = await alice.post('/createRoom', { room_alias_name: 'reads' });
  const roomId: string = body.room_id;
  const msg = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'one' });
  const eventId: string = msg.body.event_id;
  const F = '/_matrix/federation/v1';

  const outsider = await signedRequest(B, A, 'GET', `${F}/state/${roomId}/?event_id=${enc(eventId)}`);
  t.equal(outsider.status, 403, 'a server with no member in the room cannot read its state');
  t.equal(outsider.body.errcode, 'M_FORBIDDEN');

  await bob.post(`/join/${enc(roomId)}`, {});
  const ev = await signedRequest(B, A, 'GET', `${F}/event/${eventId}/`);
  t.equal(ev.status, 200);
  t.equal(ev.body.origin, A.serverName);
  t.equal(ev.body.pdus[0].event_id, eventId);
  t.type(ev.body.pdus[0].unsigned.age, 'number');
  t.equal(ev.body.pdus[0].content.body, 'one');

  const state = await signedRequest(B, A, 'GET', `${F}/state/${roomId}/?event_id=${enc(eventId)}`);
  t.equal(state.status, 200);
  const types = state.body.pdus.map((p: any) => p.type).sort();
  t.ok(types.includes('m.room.create') && types.includes('m.room.power_levels') && types.includes('m.room.member'), 'state before the event');
  t.ok(state.body.auth_chain.some((p: any) => p.type === 'm.room.create'), 'with its auth chain');
  const ids = await signedRequest(B, A, 'GET', `${F}/state_ids/${roomId}?event_id=${enc(eventId)}`);
  t.equal(ids.body.pdu_ids.length, state.body.pdus.length);

  const back = await signedRequest(B, A, 'GET', `${F}/backfill/${roomId}/?v=${enc(eventId)}&limit=3`);
  t.equal(back.status, 200);
  t.equal(back.body.pdus.length, 3);
  t.equal(back.body.pdus[0].event_id, eventId, 'the v event itself comes first');
  const noLimit = await signedRequest(B, A, 'GET', `${F}/backfill/${roomId}/?v=${enc(eventId)}`);
  t.equal(noLimit.status, 400);

  const missing = await signedRequest(B, A, 'POST', `${F}/get_missing_events/${roomId}`, {
    body: { earliest_events: [], latest_events: [eventId], limit: 2, min_depth: 0 },
  });
  t.equal(missing.status, 200);
  t.equal(missing.body.events.length, 2);
  t.ok(missing.body.events[0].depth <= missing.body.events[1].depth, 'oldest first');

  const auth = await signedRequest(B, A, 'GET', `${F}/event_auth/${roomId}/${eventId}`);
  t.ok(auth.body.auth_chain.some((p: any) => p.type === 'm.room.create'));

  const dir = await signedRequest(B, A, 'GET', `${F}/query/directory?room_alias=${enc(`#reads:${A.serverName}`)}`);
  t.same(dir.body.room_id, roomId);
  t.ok(dir.body.servers.includes(A.serverName));
  const none = await signedRequest(B, A, 'GET', `${F}/query/directory?room_alias=${enc(`#nope:${A.serverName}`)}`);
  t.equal(none.status, 404);
  t.equal(none.body.errcode, 'M_NOT_FOUND');
  await alice.put(`/profile/${enc(alice.userId!)}/displayname`, { displayname: 'Alice' });
  const profile = await signedRequest(B, A, 'GET', `${F}/query/profile?user_id=${enc(alice.userId!)}&field=displayname`);
  t.same(profile.body, { displayname: 'Alice' });
  const foreign = await signedRequest(B, A, 'GET', `${F}/query/profile?user_id=${enc(bob.userId!)}`);
  t.equal(foreign.status, 400, 'profiles are only answered for local users');
  const unknown = await signedRequest(B, A, 'GET', `${F}/query/weather`);
  t.equal(unknown.status, 404);

  const privateRoom = await alice.post('/createRoom', { visibility: 'private' });
  const mj = await signedRequest(B, A, 'GET', `${F}/make_join/${privateRoom.body.room_id}/${bob.userId}`);
  t.equal(mj.status, 403, 'make_join refuses an uninvited user of an invite-only room');
  const spoof = await signedRequest(B, A, 'GET', `${F}/make_join/${roomId}/${alice.userId}`);
  t.equal(spoof.status, 403, "a server cannot ask to join on behalf of another server's user");
});
