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
