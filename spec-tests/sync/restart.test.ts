// Tokens are opaque to clients and must outlive the process: a client that polled before a
// restart carries on from the same token afterwards, and a retried send is still idempotent.
import t from 'tap';
import { rmSync } from 'node:fs';
import { Agent, setGlobalDispatcher } from 'undici';
import { startServer, Client, enc, type TestServer } from '../helpers/server.js';

t.test('stream tokens, receipts, presence and txnIds survive a restart', async (t) => {
  let server: TestServer = await startServer();
  const { dir, port } = server;
  t.teardown(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const room = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id as string;
  await bob.post(`/join/${enc(room)}`);
  const txnPath = `/rooms/${enc(room)}/send/m.room.message/m1441203262431.0`;
  const sent = await alice.put(txnPath, { msgtype: 'm.text', body: 'before the restart' });
  await alice.put(`/rooms/${enc(room)}/typing/${enc(alice.userId!)}`, { typing: true, timeout: 30000 });
  await alice.put(`/rooms/${enc(room)}/typing/${enc(alice.userId!)}`, { typing: false });
  await bob.req('POST', `/_matrix/client/v2_alpha/rooms/${enc(room)}/receipt/m.read/${enc(sent.body.event_id)}`, {});
  await alice.put(`/presence/${enc(alice.userId!)}/status`, { presence: 'unavailable', status_msg: 'rebooting' });
  const token = (await bob.get('/initialSync?limit=0')).body.end as string;

  await server.stop();
  server = await startServer({ dir, port });
  // Sockets kept alive to the old process are dead; don't let the client pool reuse them.
  setGlobalDispatcher(new Agent());

  const retry = await alice.put(txnPath, { msgtype: 'm.text', body: 'before the restart' });
  t.equal(retry.status, 200);
  t.equal(retry.body.event_id, sent.body.event_id, 'the retried txnId answers the first event id');
  const history = (await bob.get(`/rooms/${enc(room)}/messages?dir=b&limit=50`)).body.chunk;
  t.equal(history.filter((e: any) => e.content.body === 'before the restart').length, 1, 'stored once');

  const quiet = await bob.get(`/events?from=${enc(token)}&timeout=0`);
  t.equal(quiet.status, 200, 'the old token is accepted');
  t.notOk(quiet.body.chunk.some((e: any) => e.type === 'm.room.message'), 'nothing from before the token comes again');

  await alice.put(`/rooms/${enc(room)}/typing/${enc(alice.userId!)}`, { typing: true, timeout: 30000 });
  await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'after the restart' });
  const res = await bob.get(`/events?from=${enc(token)}&timeout=5000`);
  t.same(res.body.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body), ['after the restart']);
  const typing = res.body.chunk.find((e: any) => e.type === 'm.typing' && e.room_id === room);
  t.same(typing?.content.user_ids, [alice.userId], 'typing after the restart shows, though the old token counted further');

  const sync = await alice.get('/initialSync?limit=1');
  const receipt = sync.body.receipts.find((r: any) => r.room_id === room);
  t.ok(receipt?.content[sent.body.event_id]?.['m.read']?.[bob.userId!], 'receipts are kept');
  const bobSees = (await bob.get('/initialSync?limit=0')).body.presence.find((p: any) => p.content.user_id === alice.userId);
  t.equal(bobSees?.content.presence, 'unavailable', 'presence is kept');
  t.equal(bobSees?.content.status_msg, 'rebooting');
});
