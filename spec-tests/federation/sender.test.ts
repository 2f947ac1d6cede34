// The durable sender towards other servers: a transaction that did not get through is resent
// with the same txnId and body, a shutdown waits for the request in flight and the next start
// resumes it, and a backlog goes out batched (up to 50 PDUs a transaction), in order, once.
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';
import { freePort } from '../helpers/server.js';
import { enc, register, startFederating, pairFor, waitFor } from './helpers.js';

interface Put {
  path: string;
  body: string;
  req: IncomingMessage;
  res: ServerResponse;
}

/** A real HTTP peer for `localhost:<port>`: records each /send PUT and lets the test answer it. */
async function fakePeer(answer: (put: Put, n: number) => void) {
  const port = await freePort();
  const puts: Put[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.method === 'PUT' && req.url!.startsWith('/_matrix/federation/v1/send/')) {
      const put = { path: req.url!, body, req, res };
      puts.push(put);
      return answer(put, puts.length);
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}');
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    name: `localhost:${port}`,
    puts,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const ok = (put: Put) => {
  put.res.writeHead(200, { 'content-type': 'application/json' });
  put.res.end('{"pdus":{}}');
};
/** A connection that breaks before any answer: the peer is unreachable, the transaction undelivered. */
const drop = (put: Put) => put.req.socket.destroy();
const presence = (n: number) => ({ edu_type: 'm.presence', content: { push: [{ user_id: '@alice:x', presence: 'online', n }] } });

t.test('a transaction that did not get through is resent with the same txnId and body', async (t) => {
  const peer = await fakePeer((put, n) => (n === 1 ? drop(put) : ok(put)));
  t.teardown(() => peer.close());
  const A = await startFederating();
  t.teardown(() => A.close());
  A.hs.federation!.outbound.queueEdu([peer.name], presence(1));
  await waitFor(() => peer.puts.length >= 2 && A.hs.storage.federation.queueDepth(peer.name) === 0, 'the second attempt acknowledged');
  t.equal(peer.puts[1]!.path, peer.puts[0]!.path, 'the same txnId');
  t.equal(peer.puts[1]!.body, peer.puts[0]!.body, 'byte for byte the same body');
  t.equal(A.hs.storage.federation.destination(peer.name).retry_interval, 0, 'the backoff is reset once delivered');
  t.equal(A.hs.storage.federation.destination(peer.name).pending_txn_id, null, 'no transaction pending');
});

t.test('stopping a server waits for the transaction in flight; the next start resends the same txnId', async (t) => {
  let held: Put | null = null;
  const peer = await fakePeer((put, n) => (n === 1 ? (held = put) : ok(put)));
  t.teardown(() => peer.close());
  let A = await startFederating();
  const { dir, port } = A;
  t.teardown(async () => {
    await A.close();
    rmSync(dir, { recursive: true, force: true });
  });
  A.hs.federation!.outbound.queueEdu([peer.name], presence(2));
  await waitFor(() => held, 'the transaction in flight');

  let stopped = false;
  const stopping = A.stop().then(() => { stopped = true; });
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(stopped, 'stop() has not returned while the request is unanswered');
  drop(held!);
  await stopping;

  A = await startFederating({ dir, port });
  const d = A.hs.storage.federation.destination(peer.name);
  t.ok(d.retry_interval > 0, 'the failure during the shutdown was recorded (backoff kept)');
  t.equal(`/_matrix/federation/v1/send/${d.pending_txn_id}/`, peer.puts[0]!.path, 'the transaction is still pending under its txnId');
  await waitFor(() => peer.puts.length >= 2 && A.hs.storage.federation.queueDepth(peer.name) === 0, 'delivery after the restart');
  t.equal(peer.puts[1]!.path, peer.puts[0]!.path, 'the same txnId after the restart');
  t.equal(peer.puts[1]!.body, peer.puts[0]!.body, 'and the same body');
});

t.test('a burst queued for a server arrives in fewer transactions (up to 50 PDUs each), in order, each event once', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const roomId: string = (await alice.post('/createRoom', { room_alias_name: 'burst' })).body.room_id;
  await bob.post(`/join/${enc(`#burst:${A.serverName}`)}`, {});
  // The join exchanges presence both ways; let that settle, since B talking to A ends A's backoff.
  await waitFor(() => A.hs.storage.presence.get(bob.userId!) && B.hs.storage.presence.get(alice.userId!), 'presence exchanged on join');
  await waitFor(() => A.hs.storage.federation.queueDepth(B.serverName) === 0, 'the join delivered');

  // B is in a long backoff (as after an outage): the burst waits in A's queue.
  A.hs.storage.federation.setRetry(B.serverName, Date.now(), 3_600_000);
  const N = 120;
  const ids: string[] = await Promise.all(Array.from({ length: N }, (_, i) =>
    alice.put(`/rooms/${enc(roomId)}/send/m.room.message/b${i}`, { msgtype: 'm.text', body: `burst ${i}` }).then((r) => r.body.event_id)));
  t.ok(A.hs.storage.federation.queueDepth(B.serverName) >= N, 'all queued');
  A.hs.federation!.outbound.peerIsUp(B.serverName);
  await waitFor(() => ids.every((id) => B.hs.storage.events.hasEvent(id)), 'the burst on B');
  await waitFor(() => A.hs.storage.federation.queueDepth(B.serverName) === 0, 'every transaction acknowledged');

  const sent = A.hs.storage.admin.attempts('federation', B.serverName)
    .filter((a) => a.status === 'delivered')
    .map((a) => ({ txnId: a.txn_id, pdus: (JSON.parse(a.body!).pdus as { event_id: string }[]).map((p) => p.event_id).filter((id) => ids.includes(id)) }))
    .filter((x) => x.pdus.length > 0);
  t.ok(sent.length < N, `${N} events in ${sent.length} transactions`);
  t.ok(sent.every((x) => x.pdus.length <= 50), 'at most 50 PDUs in a transaction');
  t.equal(sent.length, Math.ceil(N / 50), 'as few as the cap allows');
  const onA = A.hs.storage.events.roomEventsInStreamRange(roomId, 0, Number.MAX_SAFE_INTEGER, 1000).map((r) => r.event_id).filter((id) => ids.includes(id));
  const onB = B.hs.storage.events.roomEventsInStreamRange(roomId, 0, Number.MAX_SAFE_INTEGER, 1000).map((r) => r.event_id).filter((id) => ids.includes(id));
  t.same(onB, onA, 'B stored them in the order A sent them');
  t.equal(new Set(onB).size, N, 'each once');
});
