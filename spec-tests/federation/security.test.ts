import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import YAML from 'yaml';
import { http, freePort } from '../helpers/server.js';
import { enc, signedRequest, pairFor, federatedRoom } from './helpers.js';
import { hashAndSignEvent, computeContentHash, type Pdu } from '../../src/events/index.js';
import { encodeBase64, sha256Base64, verifyJsonSignature, canonicalJson } from '../../src/crypto/index.js';
import { loadConfig } from '../../src/config.js';
import { defaultConfigText } from '../../src/config-template.js';
import { openHomeserver } from '../../src/homeserver.js';
import { buildApp } from '../../src/app.js';
import { startListeners } from '../../src/listen.js';

const F = '/_matrix/federation/v1';

t.test('federation requests without a valid X-Matrix signature are refused with 401 M_UNAUTHORIZED', async (t) => {
  const [A, B] = await pairFor(t);
  const path = `${F}/query/directory?room_alias=${enc(`#x:${B.serverName}`)}`;
  const unsigned = await http(B.url, 'GET', path);
  t.equal(unsigned.status, 401);
  t.equal(unsigned.body.errcode, 'M_UNAUTHORIZED');
  const unsignedSend = await http(B.url, 'PUT', `${F}/send/1/`, { body: { origin: A.serverName, pdus: [] } });
  t.equal(unsignedSend.status, 401);

  const good = await signedRequest(A, B, 'GET', path);
  t.equal(good.status, 404, 'a correctly signed request gets through (to an unknown alias)');
  const header = (await import('../../src/federation/x-matrix.js')).authorizationHeader(
    { method: 'GET', uri: `${F}/query/directory?room_alias=other`, origin: A.serverName, destination: B.serverName },
    A.hs.signingKey,
  );
  const replayed = await http(B.url, 'GET', path, { headers: { authorization: header } });
  t.equal(replayed.status, 401, 'a signature made for another path does not verify');
  t.equal(replayed.body.errcode, 'M_UNAUTHORIZED');
  const wrongKey = await http(B.url, 'GET', path, {
    headers: { authorization: header.replace('ed25519:auto', 'ed25519:nosuchkey') },
  });
  t.equal(wrongKey.status, 401, 'an unknown key id of the origin');
  const malformed = await http(B.url, 'GET', path, { headers: { authorization: 'X-Matrix garbage' } });
  t.equal(malformed.status, 400);
  t.equal(malformed.body.errcode, 'M_UNAUTHORIZED');
});

t.test("the announcement's pre-2015 transaction gets a clear 401 or 400, never a crash", async (t) => {
  const [A, B] = await pairFor(t);
  const txn = {
    origin: 'localhost:1',
    ts: 1404835423000,
    pdus: [{
      pdu_id: 'a1b2c3', context: '!abc123:localhost:1', pdu_type: 'm.room.message', origin: 'localhost:1',
      prev_pdus: [['blahblah', 'localhost:1']], prev_ids: [], ts: 1404835423000, content: { body: 'Hello world' },
    }],
  };
  const res = await http(B.url, 'PUT', `${F}/send/916d630ea616342b42e98a3be0b74113`, {
    body: txn,
    headers: { authorization: 'X-Matrix origin=localhost:1,key="ed25519:auto",sig="ABCDEFGHIJKLMNOPQRSTUVWXYZ"' },
  });
  t.equal(res.status, 401, 'its signature cannot be verified');
  t.equal(res.body.errcode, 'M_UNAUTHORIZED');
  // Even correctly signed by a real server, the old shape is refused as a whole.
  const signed = await signedRequest(A, B, 'PUT', `${F}/send/916d630ea616342b42e98a3be0b74113/`, {
    body: { ...txn, origin: A.serverName },
  });
  t.equal(signed.status, 400);
  t.equal(signed.body.errcode, 'M_BAD_JSON');
  t.match(signed.body.error, /pre-2015/);
  const notJson = await signedRequest(A, B, 'PUT', `${F}/send/2/`, { body: [1, 2, 3] });
  t.equal(notJson.status, 400);
});

t.test('forged and tampered PDUs are rejected and never reach clients; a bad content hash is stored redacted', async (t) => {
  const { A, B, alice, bob, roomId } = await federatedRoom(t, { alias: 'forge' });
  const build = (text: string): Pdu =>
    A.hs.persister.buildLocalEvent({ type: 'm.room.message', room_id: roomId, sender: alice.userId!, content: { msgtype: 'm.text', body: text } });

  const badSig = build('bad signature');
  const sig = badSig.signatures[A.serverName]!;
  const k = Object.keys(sig)[0]!;
  sig[k] = (sig[k]!.startsWith('A') ? 'B' : 'A') + sig[k]!.slice(1);

  // Content changed and the hash recomputed to match: the origin's signature no longer holds.
  const changed = build('original');
  changed.content = { msgtype: 'm.text', body: 'send money to mallory' };
  changed.hashes = { sha256: computeContentHash(changed) };

  // A event "from" B's user and origin, but signed by A.
  const wrongOrigin = hashAndSignEvent({ ...build('impersonation'), sender: bob.userId!, origin: B.serverName, signatures: {} } as Pdu, A.serverName, A.hs.signingKey);

  // Content changed but the hash left alone: the signature (over the redacted form) holds.
  const mismatch = build('secret plan');
  mismatch.content = { msgtype: 'm.text', body: 'tampered in transit' };

  const res = await signedRequest(A, B, 'PUT', `${F}/send/forge1/`, {
    body: { origin: A.serverName, origin_server_ts: Date.now(), pdus: [badSig, changed, wrongOrigin, mismatch] },
  });
  t.equal(res.status, 200);
  t.type(res.body.pdus[badSig.event_id].error, 'string', 'bad signature rejected');
  t.type(res.body.pdus[changed.event_id].error, 'string', 'changed content rejected');
  t.type(res.body.pdus[wrongOrigin.event_id].error, 'string', 'wrong origin rejected');
  t.same(res.body.pdus[mismatch.event_id], {}, 'hash mismatch accepted (redacted)');
  for (const ev of [badSig, changed, wrongOrigin]) {
    t.notOk(B.hs.storage.events.hasEvent(ev.event_id), `${ev.event_id} not stored`);
    const seen = await bob.get(`/events/${enc(ev.event_id)}`);
    t.equal(seen.status, 404, 'invisible to clients');
  }
  const redacted = await bob.get(`/events/${enc(mismatch.event_id)}`);
  t.equal(redacted.status, 200);
  t.same(redacted.body.content, {}, 'the client sees the redacted form');
  t.notOk(B.hs.storage.events.getEvent(mismatch.event_id)!.json.includes('tampered'), 'the tampered content is not kept');

  const floats = await http(B.url, 'PUT', `${F}/send/forge2/`, {
    rawBody: `{"origin":"${A.serverName}","origin_server_ts":1,"pdus":[${canonicalJson(build('x')).replace('"msgtype":', '"n":1.5,"msgtype":')}]}`,
    headers: { authorization: `X-Matrix origin=${A.serverName},key="${A.hs.signingKey.keyId}",sig="x"`, 'content-type': 'application/json' },
  });
  t.equal(floats.status, 400, 'a body with floats has no canonical form to sign: refused as a whole');
  t.equal(floats.body.errcode, 'M_BAD_JSON');
});

t.test('a retried transaction gets the same answer and its PDUs are processed once', async (t) => {
  const { A, B, alice, bob, roomId } = await federatedRoom(t, { alias: 'retry' });
  const ev = A.hs.persister.buildLocalEvent({ type: 'm.room.message', room_id: roomId, sender: alice.userId!, content: { msgtype: 'm.text', body: 'once' } });
  const txn = { origin: A.serverName, origin_server_ts: Date.now(), pdus: [ev] };
  const first = await signedRequest(A, B, 'PUT', `${F}/send/same-id/`, { body: txn });
  const second = await signedRequest(A, B, 'PUT', `${F}/send/same-id`, { body: txn });
  t.equal(first.status, 200);
  t.same(second.body, first.body);
  t.same(first.body, { pdus: { [ev.event_id]: {} } });
  const row = B.hs.storage.events.getEvent(ev.event_id)!;
  t.ok(row.stream_ordering! > 0, 'stored once, in the live stream');
  t.equal(JSON.parse(row.json).content.body, 'once');
});

t.test('key server: v2 and v1 responses are self-signed; the notary answers from its cache with its own signature', async (t) => {
  const [A, B] = await pairFor(t);
  const v2 = await http(A.url, 'GET', '/_matrix/key/v2/server/ed25519%3Aauto');
  const keyId = A.hs.signingKey.keyId;
  t.ok(verifyJsonSignature(v2.body, A.serverName, keyId, v2.body.verify_keys[keyId].key));
  const v1 = await http(A.url, 'GET', '/_matrix/key/v1/');
  t.equal(v1.body.verify_keys[keyId], A.hs.signingKey.publicKeyBase64);
  t.ok(verifyJsonSignature(v1.body, A.serverName, keyId, A.hs.signingKey.publicKeyBase64));

  // B learns A's keys (here by a signed request from A), then vouches for them.
  await signedRequest(A, B, 'GET', `${F}/query/directory?room_alias=${enc(`#x:${B.serverName}`)}`);
  const q = await http(B.url, 'POST', '/_matrix/key/v2/query', {
    body: { server_keys: { [A.serverName]: { [keyId]: { minimum_valid_until_ts: 0 } } } },
  });
  t.equal(q.status, 200);
  const got = q.body.server_keys.find((k: any) => k.server_name === A.serverName);
  t.ok(got, 'the cached response of A');
  t.ok(verifyJsonSignature(got, A.serverName, keyId, A.hs.signingKey.publicKeyBase64), 'still self-signed by A');
  t.ok(verifyJsonSignature(got, B.serverName, B.hs.signingKey.keyId, B.hs.signingKey.publicKeyBase64), 'and signed by the notary');
  const one = await http(B.url, 'GET', `/_matrix/key/v2/query/${A.serverName}/${keyId}`);
  t.equal(one.body.server_keys[0].server_name, A.serverName);
  const self = await http(B.url, 'GET', `/_matrix/key/v2/query/${B.serverName}`);
  t.equal(self.body.server_keys[0].server_name, B.serverName);
});

t.test('a server name without a port gets a TLS federation listener whose certificate fingerprint is published', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-tls-'));
  const [port, fedPort] = [await freePort(), await freePort()];
  const configPath = join(dir, 'homeserver.yaml');
  const cfg = { ...YAML.parse(defaultConfigText({ serverName: 'localhost', port })), log_level: 'silent' };
  cfg.federation = { ...cfg.federation, port: fedPort, tls: true };
  writeFileSync(configPath, YAML.stringify(cfg));
  const hs = openHomeserver(loadConfig(configPath), { logger: pino({ level: 'silent' }) });
  const listeners = await startListeners(hs, await buildApp(hs));
  t.teardown(async () => {
    await listeners.close();
    await hs.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const { cert, body } = await new Promise<{ cert: Buffer; body: any }>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: fedPort, path: '/_matrix/key/v2/server/', rejectUnauthorized: false }, (res) => {
      const der = (res.socket as any).getPeerCertificate().raw as Buffer;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ cert: der, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
  t.same(body.tls_fingerprints, [{ sha256: sha256Base64(cert) }], 'the fingerprint of the certificate actually served');
  t.ok(new X509Certificate(cert).subject.includes('CN=localhost'));
  const v1 = await http(`http://127.0.0.1:${port}`, 'GET', '/_matrix/key/v1');
  t.equal(v1.body.tls_certificate, encodeBase64(cert), 'v1 carries the certificate itself');
  const again = openHomeserver(loadConfig(configPath), { logger: pino({ level: 'silent' }) });
  t.same(again.tlsFingerprints, hs.tlsFingerprints, 'a restart reuses the generated certificate');
  await again.close();
});
