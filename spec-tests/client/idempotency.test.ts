// Client txnIds are idempotent atomically (issue 13, item 5): concurrent retries of the same
// (access token, path, txnId) share one call, so an invite or a remote join happens once; and
// the 2015 HTTP registration of an application service is saved before it is answered.
import t from 'tap';
import { startServer, http, Client, enc } from '../helpers/server.js';
import { pairFor } from '../federation/helpers.js';

async function memberEvents(c: Client, roomId: string, userId: string, membership: string): Promise<unknown[]> {
  const res = await c.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  t.equal(res.status, 200);
  return res.body.chunk.filter((e: any) => e.type === 'm.room.member' && e.state_key === userId && e.content.membership === membership);
}

t.test('concurrent retries of the same invite txnId produce one invite event', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const roomId = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;

  const retries = await Promise.all(Array.from({ length: 8 }, () => alice.put(`/rooms/${enc(roomId)}/invite/inv1`, { user_id: bob.userId })));
  t.same(retries.map((r) => r.status), Array(8).fill(200), 'every retry is answered 200');
  t.same(retries.map((r) => r.body), Array(8).fill({}), 'with the same answer');
  t.equal((await memberEvents(alice, roomId, bob.userId!, 'invite')).length, 1, 'one invite event');

  const later = await alice.put(`/rooms/${enc(roomId)}/invite/inv1`, { user_id: bob.userId });
  t.equal(later.status, 200, 'a later retry is answered from the stored result');
  t.equal((await memberEvents(alice, roomId, bob.userId!, 'invite')).length, 1, 'still one invite event');

  // Another access token is another scope: its txnId "inv1" is a new request (a no-op here).
  const again = await alice.put(`/rooms/${enc(roomId)}/leave/inv1`, {});
  t.equal(again.status, 200, 'the same txnId on another path is another request');
});

t.test('concurrent retries of a send with the same txnId produce one event', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const roomId = (await alice.post('/createRoom', {})).body.room_id as string;
  const sends = await Promise.all(Array.from({ length: 8 }, () =>
    alice.put(`/rooms/${enc(roomId)}/send/m.room.message/s1`, { msgtype: 'm.text', body: 'once' })));
  t.same(sends.map((r) => r.status), Array(8).fill(200));
  t.equal(new Set(sends.map((r) => r.body.event_id)).size, 1, 'one event id for every retry');
  const msgs = (await alice.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=100`)).body.chunk.filter((e: any) => e.content.body === 'once');
  t.equal(msgs.length, 1, 'one event stored');
});

t.test('concurrent retries of a remote join with the same txnId join once', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await Client.register(A, 'alice');
  const bob = await Client.register(B, 'bob');
  const roomId = (await alice.post('/createRoom', { visibility: 'public' })).body.room_id as string;

  const joins = await Promise.all(Array.from({ length: 5 }, () => bob.put(`/join/${enc(roomId)}/j1`, {})));
  t.same(joins.map((r) => r.status), Array(5).fill(200), 'every retry is answered 200');
  t.same(joins.map((r) => r.body), Array(5).fill({ room_id: roomId }));
  t.equal((await memberEvents(alice, roomId, bob.userId!, 'join')).length, 1, 'the room on A holds one join of bob');
  t.equal((await memberEvents(bob, roomId, bob.userId!, 'join')).length, 1, 'and so does its copy on B');
});

t.test('concurrent retries of an invite of a remote user with the same txnId invite once', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await Client.register(A, 'alice');
  const bob = await Client.register(B, 'bob');
  const roomId = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;

  const invites = await Promise.all(Array.from({ length: 5 }, () => alice.put(`/rooms/${enc(roomId)}/invite/i1`, { user_id: bob.userId })));
  t.same(invites.map((r) => r.status), Array(5).fill(200), 'every retry is answered 200');
  t.equal((await memberEvents(alice, roomId, bob.userId!, 'invite')).length, 1, 'one invite event in the room');
});

t.test('a 2015 HTTP application-service registration is saved: it survives a restart', async (t) => {
  const config = { appservice: { enable_legacy_http_registration: true } };
  const first = await startServer({ config });
  const { dir, port } = first;
  const body = { as_token: 'legacy-saved', url: 'http://127.0.0.1:9', namespaces: { users: [{ regex: '@saved_.*', exclusive: true }] } };
  const ok = await http(first.url, 'POST', '/_matrix/appservice/v1/register', { body });
  t.equal(ok.status, 200);
  const clash = await http(first.url, 'POST', '/_matrix/appservice/v1/register', { body: { ...body, as_token: 'other' } });
  t.equal(clash.status, 400, 'an overlapping exclusive namespace is refused');
  await first.stop();

  const again = await startServer({ config, dir, port });
  t.teardown(() => again.close());
  // undici may hand out its pooled connection to the stopped server once: let that one fail here.
  await http(again.url, 'GET', '/').catch(() => undefined);
  const reg = await new Client(again.url, 'legacy-saved').post('/register', { type: 'm.login.application_service', user: 'saved_x' });
  t.equal(reg.status, 200, 'the service registered over HTTP still works after the restart');
  const refused = await new Client(again.url, 'other').post('/register', { type: 'm.login.application_service', user: 'saved_y' });
  t.equal(refused.status, 401, 'the refused one was never saved');
});
