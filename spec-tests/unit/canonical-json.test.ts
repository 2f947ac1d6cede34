import t from 'tap';
import { CanonicalJsonError, canonicalJson, canonicalJsonBytes, compareCodePoints } from '../../src/crypto/index.js';

const encodes: [string, unknown, string][] = [
  ['sorts keys', { b: 2, a: 1 }, '{"a":1,"b":2}'],
  ['upper case before lower', { B: [1, null, true], a: 1 }, '{"B":[1,null,true],"a":1}'],
  ['nested objects sorted', { z: { y: 1, x: [{ b: 0, a: false }] } }, '{"z":{"x":[{"a":false,"b":0}],"y":1}}'],
  ['raw non-ASCII', { a: '\u00e9' }, '{"a":"é"}'],
  ['control character as \\u00XX', { a: '\u0001' }, '{"a":"\\u0001"}'],
  ['short escapes', { a: '\b\f\n\r\t"\\' }, '{"a":"\\b\\f\\n\\r\\t\\"\\\\"}'],
  ['no escape for / DEL U+2028', { a: '/\u007f\u2028\u2029' }, '{"a":"/\u007f\u2028\u2029"}'],
  ['astral raw', { a: '𝄞' }, '{"a":"𝄞"}'],
  ['escaped keys', { 'a"b': 1 }, '{"a\\"b":1}'],
  ['empty containers', { a: {}, b: [] }, '{"a":{},"b":[]}'],
  ['literals', [true, false, null], '[true,false,null]'],
  ['negative and extreme ints', [-1, 0, 9007199254740991, -9007199254740991], '[-1,0,9007199254740991,-9007199254740991]'],
  ['-0 written as 0', { a: -0 }, '{"a":0}'],
  ['undefined members skipped', { a: undefined, b: 1 }, '{"b":1}'],
  ['integer-like keys sorted as strings', { '10': 1, '9': 2, a: 3 }, '{"10":1,"9":2,"a":3}'],
  ['top-level string', 'x', '"x"'],
];
for (const [name, input, want] of encodes) {
  t.test(`encodes: ${name}`, async (t) => t.equal(canonicalJson(input), want));
}

t.test('keys sort by code point, not UTF-16 unit', async (t) => {
  const astral = '\u{1F600}'; // surrogates D83D DE00
  const privateUse = '\uE000';
  const fffd = '\uFFFD';
  t.equal(canonicalJson({ [astral]: 1, [privateUse]: 2, [fffd]: 3, a: 4 }), `{"a":4,"${privateUse}":2,"${fffd}":3,"${astral}":1}`);
  const sorted = [astral, privateUse, 'z', '\uD7FF', fffd].sort(compareCodePoints);
  t.same(sorted, ['z', '\uD7FF', privateUse, fffd, astral]);
  t.ok(compareCodePoints('ab', 'abc') < 0, 'prefix first');
  t.equal(compareCodePoints('x', 'x'), 0);
});

t.test('bytes are UTF-8', async (t) => {
  t.same([...canonicalJsonBytes({ a: 'é' })], [...Buffer.from('{"a":"', 'utf8'), 0xc3, 0xa9, ...Buffer.from('"}')]);
});

const rejects: [string, unknown][] = [
  ['float', { a: 1.5 }],
  ['NaN', [NaN]],
  ['Infinity', { a: Infinity }],
  ['unsafe positive int', { a: 9007199254740992 }],
  ['unsafe negative int', { a: -9007199254740992 }],
  ['undefined in array', [1, undefined]],
  ['top-level undefined', undefined],
  ['function', { f: () => 1 }],
  ['bigint', { a: 1n }],
  ['symbol', { a: Symbol('x') }],
];
for (const [name, input] of rejects) {
  t.test(`rejects: ${name}`, async (t) => t.throws(() => canonicalJson(input), CanonicalJsonError));
}

t.test('cyclic input fails cleanly', async (t) => {
  const o: Record<string, unknown> = {};
  o.self = o;
  t.throws(() => canonicalJson(o), CanonicalJsonError);
});

t.test('agrees with JSON.stringify on sorted ASCII data', async (t) => {
  const data = { a: [1, 2, { b: 'x\ny', c: null }], d: true, e: 'quote " here' };
  t.equal(canonicalJson(data), JSON.stringify(data));
});
