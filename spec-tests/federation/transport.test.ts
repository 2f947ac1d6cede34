import t from 'tap';
import { authorizationHeader, parseXMatrix, requestJson } from '../../src/federation/x-matrix.js';
import { PeerResolver, splitServerName } from '../../src/federation/peers.js';
import { pathSegment } from '../../src/federation/client.js';
import { unwrapV1, wrapV1 } from '../../src/federation/v1-wrapping.js';
import { verifyJsonSignature } from '../../src/crypto/index.js';
import { newSigningKey } from '../../src/random.js';

t.test('X-Matrix headers are written as Synapse 0.10 does and parsed leniently', async (t) => {
  const key = newSigningKey('auto');
  const req = { method: 'put', uri: '/_matrix/federation/v1/send/1/', origin: 'a.example', destination: 'b.example', content: { pdus: [] } };
  const header = authorizationHeader(req, key);
  t.match(header, /^X-Matrix origin=a\.example,key="ed25519:auto",sig="[A-Za-z0-9+/]+"$/);
  const p = parseXMatrix(header)!;
  t.same({ origin: p.origin, key: p.key }, { origin: 'a.example', key: 'ed25519:auto' });
  const signed = { ...requestJson(req), signatures: { 'a.example': { [p.key]: p.sig } } };
  t.equal(requestJson(req).method, 'PUT', 'the method is upper-cased');
  t.ok(verifyJsonSignature(signed, 'a.example', p.key, key.publicKey));
  t.same(parseXMatrix('X-Matrix origin="quoted.example", key="ed25519:1", sig="abc"'), { origin: 'quoted.example', key: 'ed25519:1', sig: 'abc' });
  t.equal(parseXMatrix('Bearer abc'), null);
  t.equal(parseXMatrix('X-Matrix origin=a.example,key="ed25519:1"'), null, 'a missing sig');
  t.notOk('content' in requestJson({ ...req, content: undefined }), 'no content member without a body');
});

t.test('server names are reached at their port, loopback peers in plain HTTP when configured', async (t) => {
  t.same(splitServerName('localhost:8009'), { host: 'localhost', port: 8009 });
  t.same(splitServerName('[::1]:8448'), { host: '[::1]', port: 8448 });
  t.same(splitServerName('example.org'), { host: 'example.org', port: null });
  const plain = new PeerResolver(true, Date.now);
  t.same(await plain.resolve('localhost:8009'), { origin: 'http://localhost:8009' });
  t.same(await plain.resolve('127.0.0.1:9000'), { origin: 'http://127.0.0.1:9000' });
  t.same(await plain.resolve('example.org:8448'), { origin: 'https://example.org:8448' });
  t.same(await new PeerResolver(false, Date.now).resolve('localhost:8009'), { origin: 'https://localhost:8009' });
  t.same(await plain.resolve('localhost'), { origin: 'http://localhost:8448' }, 'no port and no SRV record: 8448');
});

t.test('ids go into paths unencoded where legal; v1 [200, {...}] bodies are wrapped and unwrapped', async (t) => {
  t.equal(pathSegment('!abc:example.org:8448'), '!abc:example.org:8448');
  t.equal(pathSegment('$1441203262431AbCdE:example.org'), '$1441203262431AbCdE:example.org');
  t.equal(pathSegment('@a b/c?:x'), '@a%20b%2Fc%3F:x');
  t.equal(wrapV1('{"state":[]}'), '[200,{"state":[]}]');
  t.equal(unwrapV1('[200, {"state": [1]}]'), '{"state": [1]}');
  t.equal(unwrapV1('{"state":[]}'), '{"state":[]}', 'an unwrapped answer is accepted as is');
});
