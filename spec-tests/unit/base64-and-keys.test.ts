import t from 'tap';
import {
  decodeBase64, encodeBase64, formatSigningKeyFile, generateSigningKey, parseSigningKeyFile, sha256Base64,
  signJson, signingKeyFromSeed, signatureKeyIds, verifyJsonSignature,
} from '../../src/crypto/index.js';
import { newSigningKey } from '../../src/random.js';

t.test('base64 is unpadded on output, lenient about padding on input', async (t) => {
  const rows: [number[], string][] = [[[], ''], [[0xff], '/w'], [[0xff, 0xee], '/+4'], [[1, 2, 3], 'AQID']];
  for (const [bytes, b64] of rows) {
    t.equal(encodeBase64(new Uint8Array(bytes)), b64);
    t.same([...decodeBase64(b64)], bytes);
  }
  t.same([...decodeBase64('/w==')], [0xff]);
  t.same([...decodeBase64('/+4=')], [0xff, 0xee]);
  t.equal(encodeBase64(Buffer.from('hello').subarray(1, 3)), encodeBase64(Buffer.from('el')), 'respects views');
});

t.test('base64 rejects characters outside the alphabet', async (t) => {
  for (const bad of ['ab-_', 'a b', 'ab$c', '=abc', 'abcde']) t.throws(() => decodeBase64(bad), Error, bad);
});

t.test('sha256Base64', async (t) => {
  t.equal(sha256Base64(''), '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU');
  t.equal(sha256Base64('é'), sha256Base64(Buffer.from('é', 'utf8')));
});

t.test('key file round trip', async (t) => {
  const a = newSigningKey();
  const b = newSigningKey('v2_x');
  t.equal(a.keyId, 'ed25519:auto');
  const text = formatSigningKeyFile([a, b]);
  t.match(text, /^ed25519 auto [A-Za-z0-9+/]{43}\ned25519 v2_x [A-Za-z0-9+/]{43}\n$/);
  const parsed = parseSigningKeyFile(`\n${text}\n  \n`);
  t.same(parsed.map((k) => [k.keyId, k.publicKeyBase64]), [[a.keyId, a.publicKeyBase64], [b.keyId, b.publicKeyBase64]]);
  const signed = signJson({ x: 1 }, 'hs', parsed[1]!);
  t.ok(verifyJsonSignature(signed, 'hs', 'ed25519:v2_x', b.publicKeyBase64));
});

t.test('key file parses the Synapse format with the vector seed', async (t) => {
  const [k] = parseSigningKeyFile('ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1\r\n');
  t.equal(k!.keyId, 'ed25519:1');
  t.equal(k!.publicKeyBase64, 'XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI');
});

const badLines: [string, RegExp][] = [
  ['ed25519 auto', /line 1: expected/],
  ['rsa auto AAAA', /unsupported algorithm/],
  ['ed25519 a-b YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1', /invalid key version/],
  ['ed25519 auto !!!', /not valid base64/],
  ['ed25519 auto AAAA', /32 bytes/],
  ['\n\ned25519 auto AAAA extra', /line 3/],
];
for (const [line, message] of badLines) {
  t.test(`key file rejects ${JSON.stringify(line)}`, async (t) => t.throws(() => parseSigningKeyFile(line), { message }));
}

t.test('generateSigningKey takes its seed from the random source it is given (vector: Synapse test seed)', async (t) => {
  const seed = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1');
  const asked: number[] = [];
  const k = generateSigningKey('1', (n) => (asked.push(n), seed));
  t.same(asked, [32], 'asks for 32 bytes once');
  t.equal(k.keyId, 'ed25519:1');
  t.equal(k.publicKeyBase64, 'XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI');
  t.same([...k.seed], [...seed], 'the seed is the bytes of the source');
  t.throws(() => generateSigningKey('1', () => new Uint8Array(31)), /31 bytes/, 'a short source is refused');
  t.throws(() => generateSigningKey('a-b', () => seed), /Invalid key version/);
});

t.test('signingKeyFromSeed validates input', async (t) => {
  t.throws(() => signingKeyFromSeed('ed25519:a', new Uint8Array(31)));
  t.throws(() => signingKeyFromSeed('rsa:a', new Uint8Array(32)));
});

t.test('verifyJsonSignature never throws', async (t) => {
  const k = newSigningKey();
  const signed = signJson({ a: 1, unsigned: { age: 5 } }, 'hs', k);
  t.same((signed as Record<string, unknown>).unsigned, { age: 5 }, 'unsigned re-attached');
  t.ok(verifyJsonSignature({ ...signed, unsigned: { age: 6 } }, 'hs', k.keyId, k.publicKey), 'unsigned not covered');
  const sig = ((signed as Record<string, unknown>).signatures as Record<string, Record<string, string>>).hs![k.keyId]!;
  const withSig = (s: unknown) => ({ ...signed, signatures: { hs: { [k.keyId]: s } } });
  t.notOk(verifyJsonSignature({ a: 1 }, 'hs', k.keyId, k.publicKey), 'no signatures');
  t.notOk(verifyJsonSignature(withSig('!!!'), 'hs', k.keyId, k.publicKey), 'bad base64');
  t.notOk(verifyJsonSignature(withSig(sig.slice(0, 40)), 'hs', k.keyId, k.publicKey), 'short signature');
  t.notOk(verifyJsonSignature(withSig(42), 'hs', k.keyId, k.publicKey), 'non-string');
  t.notOk(verifyJsonSignature(signed, 'hs', k.keyId, 'AAAA'), 'short public key');
  t.notOk(verifyJsonSignature(signed, 'hs', k.keyId, '%%%'), 'garbage public key');
  t.notOk(verifyJsonSignature({ ...signed, a: 1.5 }, 'hs', k.keyId, k.publicKey), 'unencodable');
  t.notOk(verifyJsonSignature({ ...signed, a: 2 }, 'hs', k.keyId, k.publicKey), 'tampered');
  t.ok(verifyJsonSignature(withSig(sig + '=='), 'hs', k.keyId, k.publicKey), 'padded signature accepted');
});

t.test('signatureKeyIds lists only ed25519 keys', async (t) => {
  const obj = { signatures: { hs: { 'ed25519:a': 'x', 'curve25519:b': 'y', 'ed25519:c': 'z' } } };
  t.same(signatureKeyIds(obj, 'hs'), ['ed25519:a', 'ed25519:c']);
  t.same(signatureKeyIds(obj, 'other'), []);
  t.same(signatureKeyIds({}, 'hs'), []);
});
