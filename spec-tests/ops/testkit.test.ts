// The test kit as a bridge author uses it: only the package's public entry, fetch and node:http.
import t from 'tap';
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { startHomeserver, startFederatedPair } from 'matrix-homeserver-2015';

async function api(base: string, method: string, path: string, token?: string, body?: unknown): Promise<any> {
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${base}/_matrix/client/api/v1${path}${token ? `${sep}access_token=${encodeURIComponent(token)}` : ''}`, {
    method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function until<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 750; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

t.test('startHomeserver: in memory, a user, an application service receiving its transactions, stop', async (t) => {
  const hs = await startHomeserver();
  t.teardown(() => hs.stop());
  t.match(hs.serverName, /^localhost:\d+$/);
  t.notOk(existsSync(':memory:'), 'no file named :memory: is created');

  // A bridge's HTTP side: records every transaction.
  const received: any[] = [];
  const bridge = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      if (req.method === 'PUT' && req.url!.startsWith('/transactions/')) received.push(...JSON.parse(data).events);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => bridge.close(() => r())));
  const port = (bridge.address() as { port: number }).port;

  const service = hs.registerAppService({
    id: 'test-bridge',
    url: `http://127.0.0.1:${port}`,
    as_token: 'as-secret', hs_token: 'hs-secret',
    sender_localpart: 'bridgebot',
    namespaces: { users: [{ exclusive: true, regex: '@irc_.*' }], aliases: [{ exclusive: false, regex: '#irc_.*' }], rooms: [] },
  });
  t.equal(service.id, 'test-bridge');

  const alice = await hs.registerUser('alice');
  t.equal(alice.userId, `@alice:${hs.serverName}`);
  // The bridge registers a virtual user with its as_token, as matrix-appservice-bridge does.
  const virt = await api(hs.url, 'POST', '/register', 'as-secret', { type: 'm.login.application_service', user: 'irc_bob' });
  t.equal(virt.status, 200);
  const room = await api(hs.url, 'POST', '/createRoom', alice.accessToken, { room_alias_name: 'irc_chan' });
  t.equal(room.status, 200);
  const sent = await api(hs.url, 'POST', `/rooms/${encodeURIComponent(room.body.room_id)}/send/m.room.message`, alice.accessToken, { msgtype: 'm.text', body: 'hi bridge' });
  t.equal(sent.status, 200);
  const ev = await until(async () => received.find((e) => e.event_id === sent.body.event_id), 'the message at the bridge');
  t.equal(ev.content.body, 'hi bridge');

  await hs.stop();
  await t.rejects(fetch(`${hs.url}/_matrix/client/api/v1/publicRooms`), 'stopped: nothing listens any more');
});

t.test('startFederatedPair: a user of one server joins a room of the other and receives its messages', async (t) => {
  const { a, b, stop } = await startFederatedPair();
  t.teardown(stop);
  const alice = await a.registerUser('alice');
  const bob = await b.registerUser('bob');
  const room = await api(a.url, 'POST', '/createRoom', alice.accessToken, { room_alias_name: 'lounge' });
  const join = await api(b.url, 'POST', `/join/${encodeURIComponent(`#lounge:${a.serverName}`)}`, bob.accessToken, {});
  t.equal(join.status, 200, 'remote join');
  t.equal(join.body.room_id, room.body.room_id);
  const sent = await api(a.url, 'POST', `/rooms/${encodeURIComponent(room.body.room_id)}/send/m.room.message`, alice.accessToken, { msgtype: 'm.text', body: 'over federation' });
  t.equal(sent.status, 200);
  const msg = await until(async () => {
    const r = await api(b.url, 'GET', `/rooms/${encodeURIComponent(room.body.room_id)}/messages?dir=b&limit=10`, bob.accessToken);
    return r.body.chunk?.find((e: any) => e.event_id === sent.body.event_id);
  }, 'the message on the second server');
  t.equal(msg.content.body, 'over federation');
});
