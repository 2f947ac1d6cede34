// Issue 10 item 16: metrics are served on their own loopback listener, never on the client port.
import t from 'tap';
import { startServer, Client, http } from '../helpers/server.js';

t.test('the client port answers 404 M_UNRECOGNIZED for /_synapse/metrics', async (t) => {
  const server = await startServer({ config: { metrics: { port: 0 } } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  for (const path of ['/_synapse/metrics', '/_synapse/metrics/', `/_synapse/metrics?access_token=${alice.token}`]) {
    const res = await http(server.url, 'GET', path);
    t.equal(res.status, 404, path);
    t.equal(res.body.errcode, 'M_UNRECOGNIZED');
    t.notMatch(res.text, /http_requests_total|process_cpu/, 'no metrics text');
  }
  const m = await http(server.listeners.metricsUrl!, 'GET', '/_synapse/metrics');
  t.equal(m.status, 200, 'the metrics listener serves them');
  t.match(m.text, /http_requests_total/);
  t.match(m.text, /status="404"/, 'the refused requests on the client port are counted there');
  const other = await http(server.listeners.metricsUrl!, 'GET', '/_matrix/client/api/v1/publicRooms');
  t.equal(other.status, 404, 'the metrics listener serves nothing else');
  t.equal(other.body.errcode, 'M_UNRECOGNIZED');
});

t.test('no metrics.port: no metrics listener at all', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  t.equal(server.listeners.metricsUrl, null, 'the default config starts no metrics listener');
  t.equal(server.hs.config.metricsEnabled, false);
  const res = await http(server.url, 'GET', '/_synapse/metrics');
  t.equal(res.status, 404);
  t.equal(res.body.errcode, 'M_UNRECOGNIZED');
});

t.test('metrics.enabled: false keeps the listener off even with a port', async (t) => {
  const server = await startServer({ config: { metrics: { enabled: false, port: 0 } } });
  t.teardown(() => server.close());
  t.equal(server.listeners.metricsUrl, null);
});

t.test('a bad metrics config stops start-up naming the key', async (t) => {
  await t.rejects(startServer({ config: { metrics: { port: 'everywhere' } } }), /metrics\.port/);
  await t.rejects(startServer({ config: { metrics: { port: 9092, bind_adress: '0.0.0.0' } } }), /metrics\.bind_adress/);
});
