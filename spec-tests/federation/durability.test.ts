import t from 'tap';
import { enc, messageBodies, readEventsUntil, roomBetween, startFederating, startPair, waitFor } from './helpers.js';
import { rmSync } from 'node:fs';
import { Client } from '../helpers/server.js';

t.test('a server that was down receives everything queued for it, in order, after it restarts', async (t) => {
  let [A, B] = await startPair();
  const dirs = [A.dir, B.dir];
  t.teardown(async () => {
    await B.close();
    await A.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const { alice, bob, roomId } = await roomBetween(A, B, { alias: 'durable' });
  const { end } = (await bob.get('/initialSync?limit=1')).body;

  await B.stop();
  const statuses = new Set<number>();
  for (let i = 0; i < 100; i++) {
    statuses.add((await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/m${i}`, { msgtype: 'm.text', body: `msg ${i}` })).status);
  }
  t.same([...statuses], [200], 'A accepts every message while B is down');
  const dest = await waitFor(() => {
    const d = A.hs.storage.federation.destination(B.serverName);
    return d.retry_interval > 0 ? d : null;
  }, 'A to notice B is down');
  t.ok(dest.pending_txn_id, 'the undelivered transaction is recorded for a retry with the same id');
  // The join's presence exchange may add an EDU of its own to the queue.
  t.ok(A.hs.storage.federation.queueDepth(B.serverName) >= 100, 'all 100 events are queued durably');

  const restarted = await startFederating({ dir: B.dir, port: B.port });
  B = restarted;
  const bobAgain = new Client(B.url, bob.token, bob.userId);
  const seen = await readEventsUntil(bobAgain, end, (evs) => messageBodies(evs).length >= 100, '100 messages after restart');
  t.same(messageBodies(seen.events), Array.from({ length: 100 }, (_, i) => `msg ${i}`), 'all of them, in order');
  await waitFor(() => A.hs.storage.federation.queueDepth(B.serverName) === 0, 'the queue to drain');
  t.equal(A.hs.storage.federation.destination(B.serverName).retry_interval, 0, 'the backoff is reset');
});

t.test('the outbound queue and its backoff survive a restart of the sending server', async (t) => {
  let [A, B] = await startPair();
  const dirs = [A.dir, B.dir];
  t.teardown(async () => {
    await B.close();
    await A.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const { alice, bob, roomId } = await roomBetween(A, B, { alias: 'resume' });
  await B.stop();
  for (let i = 0; i < 3; i++) await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/r${i}`, { msgtype: 'm.text', body: `queued ${i}` });
  await waitFor(() => A.hs.storage.federation.destination(B.serverName).retry_interval > 0, 'a failed attempt');
  await A.stop();
  A = await startFederating({ dir: A.dir, port: A.port });
  t.ok(A.hs.storage.federation.destination(B.serverName).retry_interval > 0, 'the backoff state was kept');
  B = await startFederating({ dir: B.dir, port: B.port });
  await waitFor(() => A.hs.storage.federation.queueDepth(B.serverName) === 0, 'delivery after both restarts', 20_000);
  const rows = B.hs.storage.events.roomEventsInStreamRange(roomId, 0, Number.MAX_SAFE_INTEGER, 100);
  t.same(rows.filter((r) => r.type === 'm.room.message').map((r) => JSON.parse(r.json).content.body), ['queued 0', 'queued 1', 'queued 2']);
});
