import t from 'tap';
import { startServer, Client } from '../helpers/server.js';

t.test('GET /events with a non-numeric or negative limit or timeout is a 400, not a long-poll', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const init = await alice.get('/initialSync?limit=1');
  for (const q of ['limit=hello', 'limit=-2', 'timeout=hello', 'timeout=-1']) {
    const res = await alice.get(`/events?from=${encodeURIComponent(init.body.end)}&${q}`);
    t.equal(res.status, 400, q);
    t.match(res.body.errcode, /^M_/);
  }
  const ok = await alice.get(`/events?from=${encodeURIComponent(init.body.end)}&limit=5&timeout=0`);
  t.equal(ok.status, 200, 'a valid limit is accepted');
});

t.test('GET /events without from starts after the caller\'s own presence change', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  // alice has no stream open: this poll brings her online, which must not be its own answer.
  const first = await alice.get('/events?timeout=300');
  t.equal(first.status, 200);
  t.same(first.body.chunk.filter((e: any) => e.type === 'm.presence' && e.content.user_id === alice.userId), [],
    'her own coming online is not in the chunk');
  const room = await alice.post('/createRoom', {});
  const next = await alice.get(`/events?from=${encodeURIComponent(first.body.end)}&timeout=5000`);
  t.ok(next.body.chunk.some((e: any) => e.room_id === room.body.room_id), 'later events arrive from the returned end');
});

t.test('/messages with an empty from starts at the latest event, as an absent one', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const { body: { room_id } } = await alice.post('/createRoom', {});
  await alice.put(`/rooms/${encodeURIComponent(room_id)}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'latest' });
  const res = await alice.get(`/rooms/${encodeURIComponent(room_id)}/messages?dir=b&limit=1&from=`);
  t.equal(res.status, 200, res.text);
  t.equal(res.body.chunk[0]?.content?.body, 'latest');
});

t.test('a displayname or avatar change reaches the user\'s own stream as presence carrying it', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const first = await alice.get('/events?timeout=0');
  await alice.put(`/profile/${encodeURIComponent(alice.userId!)}/displayname`, { displayname: 'Alice A.' });
  const next = await alice.get(`/events?from=${encodeURIComponent(first.body.end)}&timeout=5000`);
  const p = next.body.chunk.find((e: any) => e.type === 'm.presence' && e.content.user_id === alice.userId);
  t.ok(p, 'a presence event for herself');
  t.equal(p?.content.displayname, 'Alice A.');
});

t.test('a user who sets offline while polling stays offline, and members see it', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const bob = await Client.register(s, 'bob');
  const { body: { room_id } } = await alice.post('/createRoom', { visibility: 'public' });
  await bob.post(`/rooms/${encodeURIComponent(room_id)}/join`, {});
  const a0 = (await alice.get('/events?timeout=0')).body.end;
  const b0 = (await bob.get('/events?timeout=0')).body.end;
  await alice.put(`/presence/${encodeURIComponent(alice.userId!)}/status`, { presence: 'offline' });
  for (const [c, from] of [[alice, a0], [bob, b0]] as const) {
    const res = await c.get(`/events?from=${encodeURIComponent(from)}&timeout=5000`);
    const p = res.body.chunk.filter((e: any) => e.type === 'm.presence' && e.content.user_id === alice.userId);
    t.equal(p.at(-1)?.content.presence, 'offline', `${c.userId} sees alice offline`);
  }
});
