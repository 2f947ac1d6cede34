// The admin API: whois, application service and federation destination status, for admins only.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, http, Client, waitFor, enc, type TestServer } from '../helpers/server.js';
import { startReceiver, writeRegistration, FAST_RETRY } from '../appservice/helpers.js';
import { pairFor, roomBetween } from '../federation/helpers.js';

const SECRET = 'admin-test-secret';

/** An admin made the way an operator does: shared-secret registration with "admin": true. */
async function registerAdmin(server: TestServer, localpart = 'root'): Promise<Client> {
  const mac = createHmac('sha1', SECRET).update(localpart).digest('hex');
  const res = await http(server.url, 'POST', '/_matrix/client/api/v1/register', {
    body: { type: 'org.matrix.login.shared_secret', user: localpart, password: 'pw', mac, admin: true },
  });
  if (res.status !== 200) throw new Error(`admin registration: ${res.status} ${res.text}`);
  return new Client(server.url, res.body.access_token, res.body.user_id);
}

t.test('admin endpoints: 401 without a token, 403 M_FORBIDDEN for non-admins, 404 M_NOT_FOUND for unknown ids', async (t) => {
  const server = await startServer({ config: { registration_shared_secret: SECRET } });
  t.teardown(() => server.close());
  const admin = await registerAdmin(server);
  const alice = await Client.register(server, 'alice');
  const anon = new Client(server.url);
  const paths = ['/admin/appservices', '/admin/appservices/x', '/admin/federation/destinations', '/admin/federation/destinations/example.org',
    `/admin/whois/${enc(admin.userId!)}`];
  for (const p of paths) {
    const none = await anon.get(p);
    t.equal(none.status, 401, `${p}: 401 without a token`);
    t.equal(none.body.errcode, 'M_MISSING_TOKEN');
    const user = await alice.get(p);
    t.equal(user.status, 403, `${p}: 403 for a user who is not an admin`);
    t.equal(user.body.errcode, 'M_FORBIDDEN');
  }
  for (const p of ['/admin/appservices/no-such-service', '/admin/federation/destinations/nowhere.example', `/admin/whois/${enc(`@nobody:${server.serverName}`)}`]) {
    const res = await admin.get(p);
    t.equal(res.status, 404, `${p}: 404 for an admin`);
    t.equal(res.body.errcode, 'M_NOT_FOUND');
  }
  const retry = await admin.post('/admin/appservices/no-such-service/retry');
  t.equal(retry.status, 404, 'retry of an unknown service id is 404');
  t.equal(retry.body.errcode, 'M_NOT_FOUND');
  t.same((await admin.get('/admin/appservices')).body, { appservices: [] });
});

t.test('is_admin from shared-secret registration grants admin rights (alias deletion too)', async (t) => {
  const server = await startServer({ config: { registration_shared_secret: SECRET } });
  t.teardown(() => server.close());
  const admin = await registerAdmin(server);
  const alice = await Client.register(server, 'alice');
  const room = await alice.post('/createRoom', { room_alias_name: 'mistake' });
  t.equal(room.status, 200);
  t.equal((await admin.get('/admin/federation/destinations')).status, 200, 'an admin reads the admin API');
  const del = await admin.del(`/directory/room/${enc(`#mistake:${server.serverName}`)}`);
  t.equal(del.status, 200, 'an admin deletes an alias they did not create');
});

t.test('whois: the connections (ip, user agent, last seen) of each access token, in Synapse 2015 shape', async (t) => {
  const server = await startServer({ config: { registration_shared_secret: SECRET } });
  t.teardown(() => server.close());
  const admin = await registerAdmin(server);
  const alice = await Client.register(server, 'alice');
  const seen = await alice.req('GET', '/initialSync?limit=1', undefined, { headers: { 'user-agent': 'whois-test/1.0' } });
  t.equal(seen.status, 200);
  const res = await admin.get(`/admin/whois/${enc(alice.userId!)}`);
  t.equal(res.status, 200);
  t.equal(res.body.user_id, alice.userId);
  const sessions = res.body.devices[''].sessions;
  t.equal(sessions.length, 1, 'one session: alice used one access token');
  const conn = sessions[0].connections.find((c: any) => c.user_agent === 'whois-test/1.0');
  t.ok(conn, 'the user agent is recorded');
  t.equal(conn.ip, '127.0.0.1');
  t.type(conn.last_seen, 'number');
  t.notOk(JSON.stringify(res.body).includes(alice.token!), 'no access token in the answer');
  const self = await alice.get(`/admin/whois/${enc(alice.userId!)}`);
  t.equal(self.status, 200, 'a user may whois themselves (as in Synapse)');
  const remote = await admin.get(`/admin/whois/${enc('@bob:elsewhere.example')}`);
  t.equal(remote.status, 400, 'only local users');
});

t.test('appservice status: queue depth, in-flight txn, last error, next retry, the last transactions with bodies on request', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-admin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  let failing = true;
  receiver.onTxn = () => (failing ? { status: 500, body: { error: 'down' } } : { status: 200, body: {} });
  const reg = writeRegistration(dir, 'bridge', {
    id: 'bridge', url: receiver.url, as_token: 'bridge-as', hs_token: 'bridge-hs', sender_localpart: 'bridgebot',
    namespaces: { users: [{ exclusive: true, regex: '@irc_.*' }], aliases: [{ exclusive: false, regex: '#irc_.*' }], rooms: [] },
  });
  const server = await startServer({
    config: { registration_shared_secret: SECRET, app_service_config_files: [reg], appservice: { ...FAST_RETRY, retry_backoff_min_ms: 600_000, retry_backoff_max_ms: 600_000 } },
  });
  t.teardown(() => server.close());
  const admin = await registerAdmin(server);
  const alice = await Client.register(server, 'alice');
  const room = await alice.post('/createRoom', { room_alias_name: 'irc_chan' });
  const sent = await alice.post(`/rooms/${enc(room.body.room_id)}/send/m.room.message`, { msgtype: 'm.text', body: 'to the bridge' });
  await waitFor(() => receiver.txns.length > 0, 'a first (failing) attempt');
  const st = await waitFor(async () => {
    const r = await admin.get('/admin/appservices/bridge');
    return r.body.last_error ? r.body : null;
  }, 'the failure in the status');
  t.equal(st.id, 'bridge');
  t.equal(st.url, receiver.url);
  t.equal(st.sender, `@bridgebot:${server.serverName}`);
  t.same(st.namespaces.users, [{ regex: '@irc_.*', exclusive: true }]);
  t.ok(st.queue_depth >= 1, 'events are queued');
  t.equal(st.in_flight_txn_id, receiver.txns[0].txnId, 'the in-flight txnId is the one the service saw');
  t.equal(st.last_error, 'HTTP 500');
  t.ok(st.next_retry_ts > Date.now(), 'next retry is in the future');
  t.equal(st.transactions[0].status, 'failed');
  t.equal(st.transactions[0].txn_id, st.in_flight_txn_id);
  t.ok(st.transactions[0].url.startsWith(receiver.url), 'the attempt names the url tried');
  t.notOk(st.transactions[0].url.includes('bridge-hs'), 'never the hs_token');
  t.notOk('body' in st.transactions[0], 'no bodies unless asked');

  const list = await admin.get('/admin/appservices');
  t.equal(list.body.appservices.length, 1);
  t.equal(list.body.appservices[0].in_flight_txn_id, st.in_flight_txn_id);
  t.notOk('transactions' in list.body.appservices[0], 'the list is a summary');

  failing = false;
  t.equal((await admin.post('/admin/appservices/bridge/retry')).status, 200);
  await waitFor(() => receiver.delivered().some((e) => e.event_id === sent.body.event_id), 'delivery after the retry');
  const after = await waitFor(async () => {
    const r = await admin.get('/admin/appservices/bridge?bodies=true');
    return r.body.last_error === null && r.body.queue_depth === 0 ? r.body : null;
  }, 'the status after delivery');
  t.equal(after.in_flight_txn_id, null);
  t.equal(after.next_retry_ts, null);
  t.equal(after.transactions[0].status, 'delivered');
  t.ok(after.transactions.some((x: any) => x.body?.events?.some((e: any) => e.event_id === sent.body.event_id)), 'bodies with ?bodies=true');
});

t.test('federation destination status: queue, in-flight txn, last error and next retry while the peer is down', async (t) => {
  const [A, B] = await pairFor(t);
  const portA = A.port;
  await A.stop(); // restart A with a shared secret so it has an admin
  const dirA = A.dir;
  const A2 = await startServer({ dir: dirA, port: portA, config: { registration_shared_secret: SECRET, federation: { plain_http_loopback_peers: true, retry_backoff_min_ms: 600_000, retry_backoff_max_ms: 600_000 } } });
  t.teardown(() => A2.stop());
  const admin = await registerAdmin(A2);
  const { alice, roomId } = await roomBetween(A2, B, { alias: 'lounge' });
  await alice.post(`/rooms/${enc(roomId)}/send/m.room.message`, { msgtype: 'm.text', body: 'first' });
  const delivered = await waitFor(async () => {
    const r = await admin.get(`/admin/federation/destinations/${enc(B.serverName)}`);
    return r.status === 200 && r.body.transactions.some((x: any) => x.status === 'delivered') ? r.body : null;
  }, 'a delivered transaction to B');
  t.equal(delivered.destination, B.serverName);
  // The join's presence exchange is an EDU of its own: let A's queue to B drain first.
  await waitFor(() => {
    const d = A2.hs.storage.federation.destination(B.serverName);
    return A2.hs.storage.federation.queueDepth(B.serverName) === 0 && !d.pending_txn_id;
  }, "A's queue to B to drain");

  await B.stop();
  await alice.post(`/rooms/${enc(roomId)}/send/m.room.message`, { msgtype: 'm.text', body: 'while B is down' });
  const down = await waitFor(async () => {
    const r = await admin.get(`/admin/federation/destinations/${enc(B.serverName)}?bodies=true`);
    return r.body.last_error ? r.body : null;
  }, 'the failure in the status');
  t.ok(down.in_flight_txn_id, 'a transaction is in flight');
  t.ok(down.next_retry_ts > Date.now(), 'next retry in the future');
  t.equal(down.transactions[0].status, 'failed');
  t.equal(down.transactions[0].txn_id, down.in_flight_txn_id);
  t.ok(down.transactions[0].body.pdus.some((p: any) => p.content?.body === 'while B is down'), 'the body with ?bodies=true');
  const list = await admin.get('/admin/federation/destinations');
  t.ok(list.body.destinations.some((d: any) => d.destination === B.serverName && d.in_flight_txn_id === down.in_flight_txn_id));
});
