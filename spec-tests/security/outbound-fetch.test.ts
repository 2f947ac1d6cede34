// Issue 10 item 8: anonymous requests cannot make us connect anywhere, repeatedly, or echo socket errors.
import t from 'tap';
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { startServer, http, type TestServer } from '../helpers/server.js';
import { signJson } from '../../src/crypto/index.js';
import { newSigningKey } from '../../src/random.js';

/** A real TCP listener on 127.0.0.1 that counts accepted connections and hangs up at once. */
async function startRecorder(): Promise<{ port: number; accepts: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: Server = createTcpServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return {
    port: (server.address() as { port: number }).port,
    accepts: () => n,
    close: () => new Promise((res) => server.close(() => res())),
  };
}

/** A real key server on 127.0.0.1 (a peer's GET /_matrix/key/v2/server) counting connections and requests. */
async function startKeyServer() {
  const key = newSigningKey('auto');
  let connections = 0;
  let requests = 0;
  let name = '';
  const server = createHttpServer((req, res) => {
    requests++;
    const body = signJson({
      server_name: name, valid_until_ts: Date.now() + 3_600_000, old_verify_keys: {},
      verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
    }, name, key);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  name = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    name, counts: () => ({ connections, requests }),
    close: () => new Promise<void>((res) => { server.closeAllConnections(); server.close(() => res()); }),
  };
}

const FED = { federation: { enabled: true, plain_http_loopback_peers: true, retry_backoff_min_ms: 120_000, retry_backoff_max_ms: 600_000 } };
const SOCKET_DETAIL = /ECONN|ENOTFOUND|EAI_AGAIN|socket|Invalid URL|fetch failed|other side closed|UND_ERR/i;

async function serverFor(t: { teardown(fn: () => Promise<void>): void }): Promise<TestServer> {
  const s = await startServer({ config: FED });
  t.teardown(() => s.close());
  return s;
}

t.test('media download from an unreachable host:port: generic 502, and no second connection', async (t) => {
  const server = await serverFor(t);
  const rec = await startRecorder();
  t.teardown(() => rec.close());
  const target = `127.0.0.1:${rec.port}`;

  const first = await http(server.url, 'GET', `/_matrix/media/v1/download/${target}/abcdef`);
  t.equal(first.status, 502);
  t.same(first.body, { errcode: 'M_UNKNOWN', error: `could not reach ${target}` }, 'a generic error, no socket detail');
  t.equal(rec.accepts(), 1, 'one connection was made');

  const second = await http(server.url, 'GET', `/_matrix/media/v1/download/${target}/abcdef`);
  t.same(second.body, { errcode: 'M_UNKNOWN', error: `could not reach ${target}` });
  const other = await http(server.url, 'GET', `/_matrix/media/v1/download/${target}/ghijkl`);
  t.equal(other.status, 502);
  const thumb = await http(server.url, 'GET', `/_matrix/media/v1/thumbnail/${target}/ghijkl?width=32&height=32`);
  t.equal(thumb.status, 502);
  t.equal(rec.accepts(), 1, 'the failure is remembered: no reconnect for the same or another media id');

  // The backoff is shared: a key query for the same server does not connect either.
  const keys = await http(server.url, 'POST', '/_matrix/key/v2/query', { body: { server_keys: { [target]: {} } } });
  t.equal(keys.status, 200);
  t.same(keys.body.server_keys, []);
  t.equal(rec.accepts(), 1, 'the key fetcher honours the same backoff');

  // Port 22 (or any port) answers the same generic error, whatever listens there.
  const ssh = await http(server.url, 'GET', '/_matrix/media/v1/download/127.0.0.1:22/x');
  t.equal(ssh.status, 502);
  t.same(ssh.body, { errcode: 'M_UNKNOWN', error: 'could not reach 127.0.0.1:22' });
  const badPort = await http(server.url, 'GET', '/_matrix/media/v1/download/127.0.0.1:99999/x');
  t.ok(badPort.status >= 400 && badPort.status < 600 && typeof badPort.body.errcode === 'string', 'an impossible port is an error');
  t.notMatch(badPort.text, SOCKET_DETAIL, 'with no parser or socket detail');
  const unresolvable = await http(server.url, 'GET', '/_matrix/media/v1/download/nonexistent.invalid/x');
  t.equal(unresolvable.status, 502);
  t.same(unresolvable.body, { errcode: 'M_UNKNOWN', error: 'could not reach nonexistent.invalid' }, 'no ENOTFOUND');
  t.equal((await http(server.url, 'GET', '/_matrix/client/api/v1/publicRooms')).status, 200, 'the server still answers');
});

t.test('key queries: 2,000 servers is 400 before any connection; invalid names are 400', async (t) => {
  const server = await serverFor(t);
  const rec = await startRecorder();
  t.teardown(() => rec.close());
  const many: Record<string, unknown> = {};
  many[`127.0.0.1:${rec.port}`] = {};
  for (let i = 0; i < 1999; i++) many[`host${i}.invalid`] = {};
  const res = await http(server.url, 'POST', '/_matrix/key/v2/query', { body: { server_keys: many } });
  t.equal(res.status, 400, '2,000 servers');
  t.type(res.body.errcode, 'string');
  const just = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`host${i}.invalid`, {}]));
  t.equal((await http(server.url, 'POST', '/_matrix/key/v2/query', { body: { server_keys: just } })).status, 400, '101 servers');
  t.equal(rec.accepts(), 0, 'nothing was contacted');

  for (const bad of ['a b', 'host/../x', '', 'x:y:z', '127.0.0.1:22/../../x']) {
    const r = await http(server.url, 'POST', '/_matrix/key/v2/query', { body: { server_keys: { [bad]: {} } } });
    t.equal(r.status, 400, `server name ${JSON.stringify(bad)}`);
    t.equal(r.body.errcode, 'M_INVALID_PARAM');
  }
});

t.test('a key query for an unreachable server answers without detail and is not repeated', async (t) => {
  const server = await serverFor(t);
  const rec = await startRecorder();
  t.teardown(() => rec.close());
  const target = `127.0.0.1:${rec.port}`;
  const ask = () => http(server.url, 'POST', '/_matrix/key/v2/query', {
    body: { server_keys: { [target]: { 'ed25519:auto': { minimum_valid_until_ts: 8_000_000_000_000 } } } },
  });
  const first = await ask();
  t.equal(first.status, 200);
  t.same(first.body, { server_keys: [] });
  t.equal(rec.accepts(), 1, 'one connection (no v1 fallback once nothing answered)');
  const second = await ask();
  t.same(second.body, { server_keys: [] });
  const single = await http(server.url, 'GET', `/_matrix/key/v2/query/${target}/ed25519:auto`);
  t.equal(single.status, 200);
  t.equal(rec.accepts(), 1, 'the failure is cached: no second connection');
});

t.test('minimum_valid_until_ts in the far future does not refetch on every query', async (t) => {
  const server = await serverFor(t);
  const peer = await startKeyServer();
  t.teardown(() => peer.close());
  const ask = () => http(server.url, 'POST', '/_matrix/key/v2/query', {
    body: { server_keys: { [peer.name]: { 'ed25519:auto': { minimum_valid_until_ts: 8_000_000_000_000 } } } },
  });
  const first = await ask();
  t.equal(first.status, 200);
  t.equal(first.body.server_keys.length, 1, 'the peer keys are fetched and served');
  t.equal(first.body.server_keys[0].server_name, peer.name);
  t.ok(first.body.server_keys[0].signatures[server.serverName], 'countersigned by the notary');
  t.equal(peer.counts().requests, 1);
  for (let i = 0; i < 5; i++) {
    const again = await ask();
    t.equal(again.body.server_keys.length, 1, `query ${i + 2} is answered from the cache`);
  }
  t.same(peer.counts(), { connections: 1, requests: 1 }, 'one connection, one request in all');
});

t.test('a federation request naming an unreachable origin fetches its keys once, then not again', async (t) => {
  const server = await serverFor(t);
  const rec = await startRecorder();
  t.teardown(() => rec.close());
  const origin = `127.0.0.1:${rec.port}`;
  const forged = () => http(server.url, 'GET', '/_matrix/federation/v1/query/profile?user_id=%40a%3Ab&field=displayname', {
    headers: { authorization: `X-Matrix origin=${origin},key="ed25519:auto",sig="c2lnbmF0dXJl"` },
  });
  const first = await forged();
  t.equal(first.status, 401);
  t.notMatch(first.text, SOCKET_DETAIL, 'no socket detail');
  t.equal(rec.accepts(), 1);
  for (let i = 0; i < 3; i++) t.equal((await forged()).status, 401);
  t.equal(rec.accepts(), 1, 'the failed origin is not contacted again during its backoff');
});
