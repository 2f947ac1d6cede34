// The durable sender as a service sees it: a failed transaction comes back with the same txnId,
// a shutdown waits for the request in flight and the next start resumes it, and a backlog
// arrives batched, in order, each event once.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Client, enc, freePort } from '../helpers/server.js';
import { startReceiver, writeRegistration, FAST_RETRY, waitFor, type Receiver, type TxnAnswer } from './helpers.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-as-sender-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function registration(dir: string, receiver: Receiver): string {
  return writeRegistration(dir, 'bridge', {
    id: 'bridge', url: receiver.url, as_token: 'bridge-as', hs_token: 'bridge-hs', sender_localpart: 'bridgebot',
    namespaces: { users: [{ exclusive: true, regex: '@bridge_.*' }], aliases: [], rooms: [{ exclusive: false, regex: '!.*' }] },
  });
}

async function roomWithAlice(server: { url: string }) {
  const alice = await Client.register(server, 'alice');
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id as string;
  return { alice, room };
}

const send = async (alice: Client, room: string, body: string) =>
  (await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body })).body.event_id as string;

t.test('a transaction the service failed once comes again with the same txnId and body', async (t) => {
  const dir = tempDir(t);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  receiver.onTxn = (_txn, attempt) => (attempt === 1 ? { status: 500, body: { errcode: 'M_UNKNOWN' } } : { status: 200, body: {} });
  const server = await startServer({ config: { app_service_config_files: [registration(dir, receiver)], appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  const { alice, room } = await roomWithAlice(server);
  const id = await send(alice, room, 'once');
  await waitFor(() => receiver.delivered().some((e) => e.event_id === id), 'the message acknowledged');
  const first = receiver.txns[0]!;
  const again = receiver.txns.filter((x) => x.txnId === first.txnId);
  t.equal(again.length, 2, 'the failed transaction was sent twice under one txnId');
  t.same(again[1]!.events, first.events, 'with the same events');
  t.equal(receiver.delivered().filter((e) => e.event_id === id).length, 1, 'the message is delivered once');
});

t.test('stopping the server waits for the request in flight; the next start resends the same txnId', async (t) => {
  const dir = tempDir(t);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  let release: (a: TxnAnswer) => void = () => {};
  let hold = true;
  receiver.onTxn = (txn) =>
    hold && txn.events.some((e) => e.content?.body === 'in flight') ? new Promise<TxnAnswer>((r) => { release = r; }) : { status: 200, body: {} };
  const port = await freePort();
  const serverDir = join(dir, 'hs');
  const config = { app_service_config_files: [registration(dir, receiver)], appservice: { ...FAST_RETRY, retry_backoff_min_ms: 100, retry_backoff_max_ms: 100 } };
  let server = await startServer({ dir: serverDir, port, config });
  t.teardown(() => server.close());
  const { alice, room } = await roomWithAlice(server);
  // The room's setup events go out first; hold the first transaction that carries our message.
  const id = await send(alice, room, 'in flight');
  await waitFor(() => receiver.txns.some((x) => x.events.some((e) => e.event_id === id)), 'the transaction with the message in flight');
  const inFlight = receiver.txns.find((x) => x.events.some((e) => e.event_id === id))!;

  let stopped = false;
  const stopping = server.stop().then(() => { stopped = true; });
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(stopped, 'stop() has not returned while the request is unanswered');
  hold = false;
  release({ status: 503 });
  await stopping;

  server = await startServer({ dir: serverDir, port, config });
  const attempts = server.hs.storage.admin.attempts('appservice', 'bridge');
  t.ok(attempts.some((a) => a.txn_id === inFlight.txnId && a.status === 'failed' && a.detail === 'HTTP 503'),
    'the answer that came during the shutdown was recorded before the database closed');
  await waitFor(() => receiver.delivered().some((e) => e.event_id === id), 'delivery after the restart');
  const resent = receiver.txns.filter((x) => x.txnId === inFlight.txnId);
  t.ok(resent.length >= 2, 'the next start resent the same txnId');
  t.same(resent.at(-1)!.events, inFlight.events, 'with the same events');
  t.equal(receiver.delivered().filter((e) => e.event_id === id).length, 1, 'delivered once');
});

t.test('a burst queued while the service is held back arrives in fewer transactions, in order, each event once', async (t) => {
  const dir = tempDir(t);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const config = { app_service_config_files: [registration(dir, receiver)], appservice: { ...FAST_RETRY, retry_backoff_min_ms: 600_000, retry_backoff_max_ms: 600_000 } };
  const server = await startServer({ config });
  t.teardown(() => server.close());
  const { alice, room } = await roomWithAlice(server);
  await waitFor(() => server.hs.storage.appservice.queueDepth('bridge') === 0, 'the room setup delivered');
  // The service is in a long backoff (as after an outage): the burst waits in the queue.
  server.hs.storage.appservice.setBackoff('bridge', 600_000, Date.now() + 600_000, 'held by the test');
  const N = 60;
  const ids = await Promise.all(Array.from({ length: N }, (_, i) => send(alice, room, `burst ${i}`)));
  const before = receiver.txns.length;
  t.equal((await new Client(server.url, 'bridge-as').post('/admin/appservices/bridge/retry')).status, 200);
  await waitFor(() => ids.every((id) => receiver.delivered().some((e) => e.event_id === id)), 'the burst delivered');

  const txns = receiver.txns.slice(before);
  t.ok(txns.length < N, `${N} events in ${txns.length} transaction(s)`);
  t.equal(txns.length, 1, 'the whole backlog in one transaction (it is under the cap)');
  const delivered = receiver.delivered().map((e) => e.event_id).filter((id) => ids.includes(id));
  const order = (await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=${N}`)).body.chunk.map((e: any) => e.event_id).reverse();
  t.same(delivered, order, 'in the order of the room');
  t.equal(new Set(delivered).size, N, 'each event once');
});
