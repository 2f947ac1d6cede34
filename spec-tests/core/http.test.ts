import t from 'tap';
import { PassThrough } from 'node:stream';
import { startServer, http, Client, enc } from '../helpers/server.js';

t.test('unknown paths answer 404 M_UNRECOGNIZED in JSON', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  for (const path of ['/_matrix/client/api/v1/no/such/thing', '/_matrix/federation/v1/nothing', '/random']) {
    const res = await http(server.url, 'GET', path);
    t.equal(res.status, 404, path);
    t.equal(res.body.errcode, 'M_UNRECOGNIZED', path);
    t.type(res.body.error, 'string');
  }
});

t.test('every response carries CORS headers and OPTIONS preflights are answered', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const pre = await http(server.url, 'OPTIONS', '/_matrix/client/api/v1/createRoom', {
    headers: { origin: 'http://example.org', 'access-control-request-method': 'POST' },
  });
  t.equal(pre.status, 200);
  t.equal(pre.headers['access-control-allow-origin'], '*');
  t.match(String(pre.headers['access-control-allow-methods']), /PUT/);
  const res = await http(server.url, 'GET', '/_matrix/key/v2/server', { headers: { origin: 'http://example.org' } });
  t.equal(res.headers['access-control-allow-origin'], '*');
});

t.test('secrets never reach the log', async (t) => {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (d) => lines.push(d.toString()));
  const server = await startServer({ logStream: stream });
  t.teardown(() => server.close());
  const password = 'p4ssw0rd-that-must-not-leak';
  const alice = await Client.register(server, 'alice', password);
  await alice.post('/createRoom', { visibility: 'private' });
  await alice.get(`/rooms/${enc('!x:y')}/state`);
  await http(server.url, 'POST', '/_matrix/client/api/v1/login', { body: { type: 'm.login.password', user: 'alice', password: 'wrong-' + password } });
  await http(server.url, 'GET', `/_matrix/client/api/v1/initialSync?access_token=${alice.token}`);
  const log = lines.join('');
  t.ok(log.length > 0, 'the server did log');
  t.notOk(log.includes(alice.token!), 'no access token in the log');
  t.notOk(log.includes(password), 'no password in the log');
  t.notOk(log.includes(server.hs.signingKey.publicKeyBase64) && log.includes('seed'), 'no signing key in the log');
  t.match(log, /access_token=<redacted>/, 'token query parameters are redacted');
});

t.test('Prometheus metrics (on the metrics listener) count requests and persisted events', async (t) => {
  const server = await startServer({ config: { metrics: { port: 0 } } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  await alice.post('/createRoom', { visibility: 'private' });
  t.match(server.listeners.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/, 'bound to loopback by default');
  const res = await http(server.listeners.metricsUrl!, 'GET', '/_synapse/metrics');
  t.equal(res.status, 200);
  t.match(String(res.headers['content-type']), /text\/plain/);
  t.match(res.text, /http_requests_total\{method="POST",route="\/_matrix\/client\/api\/v1\/createRoom",status="200"\} 1/);
  t.match(res.text, /events_persisted_total\{origin="local",outcome="accepted"\} [5-9]/);
  t.notOk(res.text.includes(alice.token!), 'no token in the metrics');
});
