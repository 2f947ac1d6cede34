// HTTP pushers (Synapse 0.12): a real node:http push gateway receives the notifications.
import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { startServer, Client, enc, waitFor, type TestServer } from '../helpers/server.js';

interface Gateway {
  url: string;
  received: any[];
  /** Status for the n-th request (1-based); default 200 {}. */
  answer: (n: number, body: any) => { status: number; body?: unknown };
  close(): Promise<void>;
}

async function startGateway(): Promise<Gateway> {
  let n = 0;
  const g: Gateway = { url: '', received: [], answer: () => ({ status: 200, body: {} }), close: async () => {} };
  const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      const a = g.answer(++n, body);
      if (a.status === 200) g.received.push(body);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body ?? {}));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  g.url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/_matrix/push/v1/notify`;
  g.close = () => new Promise((r) => srv.close(() => r()));
  return g;
}

let server: TestServer;
let gateway: Gateway;
let alice: Client, bob: Client;

t.before(async () => {
  server = await startServer();
  gateway = await startGateway();
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob');
});
t.teardown(async () => {
  await server.close();
  await gateway.close();
});

const pusher = (pushkey: string) => ({
  kind: 'http', app_id: 'org.example.test', app_display_name: 'Test', device_display_name: 'Phone', profile_tag: 'tag',
  pushkey, lang: 'en', data: { url: gateway.url, extra: 'kept' },
});
const say = (c: Client, room: string, body: string) => c.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body });

async function oneToOne(): Promise<string> {
  const room = (await alice.post('/createRoom', {})).body.room_id;
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await bob.post(`/rooms/${enc(room)}/join`);
  return room;
}

t.test('a message for the user is pushed to the gateway, retried after a failure', async (t) => {
  const room = await oneToOne();
  gateway.answer = (n) => (n === 1 ? { status: 500 } : { status: 200, body: {} });
  t.equal((await alice.post('/pushers/set', pusher('key-1'))).status, 200);
  await say(alice, room, 'my own message');
  await say(bob, room, 'Room message for alice');
  const got = await waitFor(() => gateway.received.find((b) => b.notification?.content?.body === 'Room message for alice'), 'the push');
  const n = got.notification;
  t.equal(n.room_id, room);
  t.equal(n.type, 'm.room.message');
  t.equal(n.sender, bob.userId);
  t.type(n.id, 'string');
  t.type(n.counts.unread, 'number');
  t.same(n.devices[0].data, { extra: 'kept' }, 'data without the url');
  t.equal(n.devices[0].app_id, 'org.example.test');
  t.equal(n.devices[0].pushkey, 'key-1');
  t.type(n.devices[0].pushkey_ts, 'number');
  t.type(n.devices[0].tweaks, 'object');
  t.notOk(gateway.received.some((b) => b.notification?.content?.body === 'my own message'), 'never pushed for your own messages');
  await alice.post('/pushers/set', { ...pusher('key-1'), kind: null });
});

t.test('a removed pusher, or one the gateway rejects, gets nothing more', async (t) => {
  const room = await oneToOne();
  gateway.answer = (_n, body) => ({ status: 200, body: { rejected: body.notification.devices.map((d: any) => d.pushkey) } });
  await alice.post('/pushers/set', pusher('key-2'));
  await say(bob, room, 'first');
  await waitFor(() => gateway.received.find((b) => b.notification?.content?.body === 'first'), 'the first push');
  gateway.answer = () => ({ status: 200, body: {} });
  await say(bob, room, 'second');
  // A marker pusher proves the server has dealt with 'second' before we look.
  await alice.post('/pushers/set', { ...pusher('marker'), app_id: 'org.example.marker' });
  await say(bob, room, 'third');
  await waitFor(() => gateway.received.find((b) => b.notification?.content?.body === 'third' && b.notification.devices[0].pushkey === 'marker'), 'marker');
  t.notOk(gateway.received.some((b) => b.notification?.devices[0].pushkey === 'key-2' && b.notification.content.body !== 'first'), 'rejected pushkey dropped');
});

t.test('pushers are validated', async (t) => {
  for (const bad of [{ ...pusher('k'), data: { url: 'ftp://example.org' } }, { ...pusher('k'), data: {} }, { ...pusher('k'), kind: 'email' },
    { ...pusher('k'), app_id: 'a'.repeat(100) }, { kind: 'http' }]) {
    const res = await alice.post('/pushers/set', bad);
    t.equal(res.status, 400, JSON.stringify(bad).slice(0, 60));
  }
});
