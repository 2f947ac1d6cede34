// The official signing vectors of events-and-crypto.md §10, byte for byte, plus a
// cross-check of node:crypto against tweetnacl.
import t from 'tap';
import nacl from 'tweetnacl';
import {
  canonicalJson, decodeBase64, encodeBase64, signJson, signedBytes, signingKeyFromSeed, verifyJsonSignature,
} from '../../src/crypto/index.js';
import {
  computeContentHash, computeReferenceHash, hashAndSignEvent, pruneEvent, verifyEventSignature, type JsonObject,
} from '../../src/events/index.js';

const SEED = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';
const PUBLIC_KEY = 'XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI';
const key = signingKeyFromSeed('ed25519:1', decodeBase64(SEED));

const event102: JsonObject = {
  room_id: '!x:domain', sender: '@a:domain', origin: 'domain', origin_server_ts: 1000000,
  signatures: {}, hashes: {}, type: 'X', content: {}, prev_events: [], auth_events: [], depth: 3,
  unsigned: { age_ts: 1000000 },
};
const event103: JsonObject = {
  content: { body: 'Here is the message content' }, event_id: '$0:domain', origin: 'domain',
  origin_server_ts: 1000000, type: 'm.room.message', room_id: '!r:domain', sender: '@u:domain',
  signatures: {}, unsigned: { age_ts: 1000000 },
};

t.test('seed derives the published public key', async (t) => {
  t.equal(key.seed.length, 32);
  t.equal(key.publicKeyBase64, PUBLIC_KEY);
  t.equal(encodeBase64(nacl.sign.keyPair.fromSeed(key.seed).publicKey), PUBLIC_KEY);
});

const jsonVectors: [string, object, string][] = [
  ['{}', {}, 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ'],
  ['{one,two}', { one: 1, two: 'Two' }, 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw'],
];
for (const [name, input, sig] of jsonVectors) {
  t.test(`JSON signing vector ${name}`, async (t) => {
    const signed = signJson(input, 'domain', key);
    t.same(signed, { ...input, signatures: { domain: { 'ed25519:1': sig } } });
    t.same(input, name === '{}' ? {} : { one: 1, two: 'Two' }, 'input not mutated');
    t.ok(verifyJsonSignature(signed, 'domain', 'ed25519:1', PUBLIC_KEY));
    t.ok(verifyJsonSignature(signed, 'domain', 'ed25519:1', key.publicKey), 'raw key bytes');
    const nacl64 = encodeBase64(nacl.sign.detached(signedBytes(input), naclSecret()));
    t.equal(nacl64, sig, 'tweetnacl gives the same signature');
  });
}
t.test('signed {} serialises exactly as the spec shows', async (t) => {
  t.equal(
    canonicalJson(signJson({}, 'domain', key)),
    '{"signatures":{"domain":{"ed25519:1":"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"}}}',
  );
});

t.test('event 10.2: minimal event', async (t) => {
  t.equal(
    canonicalJson({ ...event102, unsigned: undefined, signatures: undefined, hashes: undefined }),
    '{"auth_events":[],"content":{},"depth":3,"origin":"domain","origin_server_ts":1000000,"prev_events":[],"room_id":"!x:domain","sender":"@a:domain","type":"X"}',
  );
  const signed = hashAndSignEvent(event102, 'domain', key);
  t.same(signed.hashes, { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' });
  t.same(signed.signatures, {
    domain: { 'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg' },
  });
  t.same(signed.unsigned, { age_ts: 1000000 }, 'unsigned untouched');
  t.same(event102.hashes, {}, 'input not mutated');
  t.ok(verifyEventSignature(signed, 'domain', 'ed25519:1', PUBLIC_KEY));
  t.equal(computeReferenceHash(signed), '8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc');
});

t.test('event 10.3: message with redactable content', async (t) => {
  const signed = hashAndSignEvent(event103, 'domain', key);
  const hash = 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g';
  const sig = 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA';
  t.equal(computeContentHash(event103), hash);
  t.same(signed.hashes, { sha256: hash });
  t.same(signed.signatures, { domain: { 'ed25519:1': sig } });
  const signedForm = { ...pruneEvent(signed), unsigned: undefined, signatures: undefined };
  const bytes = '{"content":{},"event_id":"$0:domain","hashes":{"sha256":"onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"},"origin":"domain","origin_server_ts":1000000,"room_id":"!r:domain","sender":"@u:domain","type":"m.room.message"}';
  t.equal(canonicalJson(signedForm), bytes);
  t.ok(nacl.sign.detached.verify(Buffer.from(bytes), decodeBase64(sig), decodeBase64(PUBLIC_KEY)), 'tweetnacl verifies');
  t.equal(encodeBase64(nacl.sign.detached(Buffer.from(bytes), naclSecret())), sig, 'tweetnacl signs the same');
  t.equal(computeReferenceHash(signed), 'oFAil2fHTGY66j9PIsC3hnc+/6r2SQGxCzd1/FUgtOE');
});

t.test('a redacted 10.3 still verifies; tampering does not', async (t) => {
  const signed = hashAndSignEvent(event103, 'domain', key);
  const redacted = pruneEvent(signed);
  t.same(redacted.content, {});
  t.ok(verifyEventSignature(redacted, 'domain', 'ed25519:1', PUBLIC_KEY));
  t.ok(verifyJsonSignature(redacted, 'domain', 'ed25519:1', PUBLIC_KEY));
  t.ok(verifyEventSignature({ ...signed, content: { body: 'changed' } }, 'domain', 'ed25519:1', PUBLIC_KEY),
    'content is outside the signature (the hash catches it)');
  t.notOk(verifyEventSignature({ ...signed, sender: '@evil:domain' }, 'domain', 'ed25519:1', PUBLIC_KEY));
  t.notOk(verifyEventSignature(signed, 'domain', 'ed25519:2', PUBLIC_KEY), 'unknown key id');
  t.notOk(verifyEventSignature(signed, 'other', 'ed25519:1', PUBLIC_KEY), 'unknown server');
});

t.test('signing keeps other servers\' signatures', async (t) => {
  const other = signingKeyFromSeed('ed25519:x', new Uint8Array(32).fill(7));
  const once = hashAndSignEvent(event103, 'other.org', other);
  const twice = hashAndSignEvent(once, 'domain', key);
  t.same(Object.keys(twice.signatures as object).sort(), ['domain', 'other.org']);
  t.ok(verifyEventSignature(twice, 'other.org', 'ed25519:x', other.publicKey));
  t.ok(verifyEventSignature(twice, 'domain', 'ed25519:1', PUBLIC_KEY));
});

t.test('node:crypto and tweetnacl agree on random inputs', async (t) => {
  for (let i = 0; i < 20; i++) {
    const seed = nacl.randomBytes(32);
    const k = signingKeyFromSeed('ed25519:r', seed);
    const pair = nacl.sign.keyPair.fromSeed(seed);
    t.equal(k.publicKeyBase64, encodeBase64(pair.publicKey));
    const obj = { n: i, s: 'é\u0001𝄞', arr: [i, null, true] };
    const signed = signJson(obj, 's', k);
    const sig = ((signed as Record<string, unknown>).signatures as Record<string, Record<string, string>>).s!['ed25519:r']!;
    t.equal(sig, encodeBase64(nacl.sign.detached(signedBytes(obj), pair.secretKey)));
  }
});

function naclSecret(): Uint8Array {
  return nacl.sign.keyPair.fromSeed(key.seed).secretKey;
}
