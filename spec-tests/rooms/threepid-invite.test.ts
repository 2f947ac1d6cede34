// Inviting by email through an identity server (Synapse 0.12's _lookup_3pid), against a real
// HTTPS identity server with a self-signed certificate, as SyTest's.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { startServer, Client, enc } from '../helpers/server.js';
import { signJson } from '../../src/crypto/index.js';
import { newSigningKey } from '../../src/random.js';

async function identityServer(t: { teardown(fn: () => void): void }, bindings: Map<string, string>, forge = false) {
  const dir = mkdtempSync(join(tmpdir(), 'hs-idserver-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'pipe' });
  const key = newSigningKey('0');
  const other = newSigningKey('0');
  let name = '';
  const server = createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (req, res) => {
    const url = new URL(req.url!, 'https://x');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/_matrix/identity/api/v1/lookup') {
      const mxid = bindings.get(`${url.searchParams.get('medium')}\0${url.searchParams.get('address')}`);
      const body = mxid ? signJson({ medium: 'email', address: url.searchParams.get('address'), mxid }, name, forge ? other : key) : {};
      return res.end(JSON.stringify(body));
    }
    if (url.pathname === '/_matrix/identity/api/v1/pubkey/ed25519:0') return res.end(JSON.stringify({ public_key: key.publicKeyBase64 }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  name = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return name;
}

t.test('inviting a bound email invites the Matrix user the identity server names', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const bob = await Client.register(s, 'bob');
  const idServer = await identityServer(t, new Map([[`email\0bob@example.org`, bob.userId!]]));
  const { body: { room_id } } = await alice.post('/createRoom', { visibility: 'private' });
  const res = await alice.post(`/rooms/${enc(room_id)}/invite`, { id_server: idServer, medium: 'email', address: 'bob@example.org' });
  t.equal(res.status, 200, res.text);
  const state = await alice.get(`/rooms/${enc(room_id)}/state/m.room.member/${enc(bob.userId!)}`);
  t.equal(state.body.membership, 'invite');
  const unbound = await alice.post(`/rooms/${enc(room_id)}/invite`, { id_server: idServer, medium: 'email', address: 'nobody@example.org' });
  t.equal(unbound.status, 400, 'an unbound address is refused');
  const badHost = await alice.post(`/rooms/${enc(room_id)}/invite`, { id_server: 'evil/../x', medium: 'email', address: 'a@b' });
  t.equal(badHost.status, 400, 'an id_server that is not a host name is refused');
});

t.test('a binding not signed by the identity server\'s published key is refused', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const bob = await Client.register(s, 'bob');
  const idServer = await identityServer(t, new Map([[`email\0bob@example.org`, bob.userId!]]), true);
  const { body: { room_id } } = await alice.post('/createRoom', { visibility: 'private' });
  const res = await alice.post(`/rooms/${enc(room_id)}/invite`, { id_server: idServer, medium: 'email', address: 'bob@example.org' });
  t.equal(res.status, 401, res.text);
  const state = await alice.get(`/rooms/${enc(room_id)}/state/m.room.member/${enc(bob.userId!)}`);
  t.equal(state.status, 404, 'nobody was invited');
});
