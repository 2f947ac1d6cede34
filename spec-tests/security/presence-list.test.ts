// Presence is seen through a shared room or an accepted presence-list entry, never by just
// asking: a presence-list invite stays pending until the invited user invites back (consent),
// and a peer server's `poll` is answered only for users one of its users shares a room with.
import t from 'tap';
import { Client, enc, startServer } from '../helpers/server.js';
import { FED_CONFIG, signedRequest, waitFor } from '../federation/helpers.js';

t.test('a presence-list invite reveals nothing until the invited user invites back; dropping withdraws consent', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const admin = await Client.register(server, 'admin');
  const mallory = await Client.register(server, 'mallory');
  t.equal((await admin.put(`/presence/${enc(admin.userId!)}/status`, { presence: 'unavailable', status_msg: 'secret plans' })).status, 200);
  const from = (await mallory.get('/initialSync?limit=0')).body.end as string;

  // The attack: mallory lists admin and reads admin's presence.
  t.equal((await mallory.post(`/presence/list/${enc(mallory.userId!)}`, { invite: [admin.userId] })).status, 200);
  t.equal((await mallory.get(`/presence/${enc(admin.userId!)}/status`)).status, 404, 'the status stays hidden');
  t.same((await mallory.get(`/presence/list/${enc(mallory.userId!)}`)).body, [{ user_id: admin.userId, accepted: false, presence: 'offline' }],
    'the list shows a pending entry without presence');
  const sync = await mallory.get('/initialSync?limit=0');
  t.notOk(sync.body.presence.some((p: any) => p.content.user_id === admin.userId), 'initialSync has no presence of admin');
  t.equal((await admin.put(`/presence/${enc(admin.userId!)}/status`, { presence: 'online', status_msg: 'still secret' })).status, 200);
  const stream = await mallory.get(`/events?from=${enc(from)}&timeout=0`);
  t.notOk(stream.body.chunk.some((e: any) => e.type === 'm.presence' && e.content.user_id === admin.userId), '/events has no presence of admin');
  t.notOk(stream.text.includes('secret'), 'the status message never reaches mallory');

  // Consent: admin invites mallory back; both entries are accepted.
  t.equal((await admin.post(`/presence/list/${enc(admin.userId!)}`, { invite: [mallory.userId] })).status, 200);
  const status = await mallory.get(`/presence/${enc(admin.userId!)}/status`);
  t.equal(status.status, 200, 'visible once admin consented');
  t.equal(status.body.status_msg, 'still secret');
  const list = (await mallory.get(`/presence/list/${enc(mallory.userId!)}`)).body;
  t.equal(list[0].accepted, true);
  t.equal(list[0].presence, 'online');
  t.equal((await admin.get(`/presence/list/${enc(admin.userId!)}`)).body[0].accepted, true, "admin's entry is accepted too");
  t.ok((await mallory.get('/initialSync?limit=0')).body.presence.some((p: any) => p.content.user_id === admin.userId));

  // Mallory drops admin: admin no longer sees mallory, mallory no longer sees admin.
  t.equal((await mallory.post(`/presence/list/${enc(mallory.userId!)}`, { drop: [admin.userId] })).status, 200);
  t.equal((await admin.get(`/presence/${enc(mallory.userId!)}/status`)).status, 404, 'consent withdrawn');
  t.same((await admin.get(`/presence/list/${enc(admin.userId!)}`)).body, [{ user_id: mallory.userId, accepted: false, presence: 'offline' }]);
  t.equal((await mallory.get(`/presence/${enc(admin.userId!)}/status`)).status, 404);

  // Malformed edits change nothing.
  for (const body of [{ invite: ['admin'] }, { invite: [`@${'a'.repeat(300)}:x`] }, { drop: 'x' }, { invite: Array.from({ length: 101 }, (_, i) => `@u${i}:x`) }]) {
    const r = await mallory.post(`/presence/list/${enc(mallory.userId!)}`, body);
    t.ok(r.status === 400 && typeof r.body.errcode === 'string', `refused: ${JSON.stringify(body).slice(0, 40)}`);
  }
  t.same((await mallory.get(`/presence/list/${enc(mallory.userId!)}`)).body, []);

  // A list holds at most 1,000 users.
  for (let i = 0; i < 10; i++) {
    const batch = Array.from({ length: 100 }, (_, j) => `@u${i * 100 + j}:example.org`);
    t.equal((await mallory.post(`/presence/list/${enc(mallory.userId!)}`, { invite: batch })).status, 200);
  }
  const over = await mallory.post(`/presence/list/${enc(mallory.userId!)}`, { invite: ['@one.more:example.org'] });
  t.equal(over.status, 400, 'the 1,001st entry is refused');
  t.equal(over.body.errcode, 'M_TOO_LARGE');
  t.equal((await mallory.get(`/presence/list/${enc(mallory.userId!)}`)).body.length, 1000, 'and not stored');
});

t.test("a peer server's presence poll is answered only for users it shares a room with", async (t) => {
  const [A, B] = await Promise.all([startServer({ config: FED_CONFIG }), startServer({ config: FED_CONFIG })]);
  t.teardown(async () => {
    await B.close();
    await A.close();
  });
  const admin = await Client.register(A, 'admin');
  const carol = await Client.register(A, 'carol');
  const bob = await Client.register(B, 'bob');
  await admin.put(`/presence/${enc(admin.userId!)}/status`, { presence: 'online', status_msg: 'admin secret' });
  const room = (await carol.post('/createRoom', { room_alias_name: 'poll' })).body.room_id as string;
  t.equal((await bob.post(`/join/${enc(`#poll:${A.serverName}`)}`)).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(room, bob.userId!) === 'join', "bob's join on A");

  const poll = await signedRequest(B, A, 'PUT', '/_matrix/federation/v1/send/poll-1/', {
    body: { origin: B.serverName, origin_server_ts: Date.now(), pdus: [], edus: [{ edu_type: 'm.presence', content: { poll: [admin.userId, carol.userId] } }] },
  });
  t.equal(poll.status, 200);
  // A's queue to B is ordered: once carol's later update is on B, the poll's answer came before it.
  await carol.put(`/presence/${enc(carol.userId!)}/status`, { presence: 'online', status_msg: 'after the poll' });
  await waitFor(() => B.hs.storage.presence.get(carol.userId!)?.status_msg === 'after the poll', "carol's presence on B");
  t.equal(B.hs.storage.presence.get(admin.userId!), undefined, "admin's presence never reached B");

  // Pushes for users who share no room with anyone here are not kept.
  const ghost = `@ghost:${B.serverName}`;
  const push = await signedRequest(B, A, 'PUT', '/_matrix/federation/v1/send/ghost-1/', {
    body: { origin: B.serverName, origin_server_ts: Date.now(), pdus: [], edus: [{ edu_type: 'm.presence', content: { push: [{ user_id: ghost, presence: 'online' }] } }] },
  });
  t.equal(push.status, 200);
  t.equal(A.hs.storage.presence.get(ghost), undefined, 'no presence row for a user A has no room with');
});
