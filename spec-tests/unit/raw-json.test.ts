import t from 'tap';
import { findNonIntegerNumber, setTopLevelMember, topLevelArrayElements } from '../../src/crypto/index.js';

const numbers: [string, string, string | null][] = [
  ['integers only', '{"a":1,"b":[-2,0,30],"c":{"d":9007199254740991}}', null],
  ['float', '{"a":1,"b":1.0}', '1.0'],
  ['exponent', '[1e3]', '1e3'],
  ['upper-case exponent', '[2E-1]', '2E-1'],
  ['negative zero', '{"a":-0}', '-0'],
  ['leading zero', '[007]', '007'],
  ['unsafe integer', '[9007199254740992]', '9007199254740992'],
  ['unsafe negative', '[-9007199254740992]', '-9007199254740992'],
  ['numbers inside strings ignored', '{"a":"1.5","b\\"2.5":"x\\\\","c":3}', null],
  ['escaped quote does not end the string', '{"a":"\\"1.5\\"","b":2.5}', '2.5'],
  ['whitespace around', ' { "a" : 1.25 } ', '1.25'],
  ['literals', '[true,false,null]', null],
];
for (const [name, text, want] of numbers) {
  t.test(`findNonIntegerNumber: ${name}`, async (t) => t.equal(findNonIntegerNumber(text), want));
}

t.test('topLevelArrayElements returns raw element texts', async (t) => {
  const pdu1 = '{"content":{"body":"a ] } [ \\" {"},"n":1.0,"2":"x"}';
  const pdu2 = '{ "b" : [ 1 , 2 ] }';
  const body = `{"origin":"x","pdus":[ ${pdu1} ,${pdu2}],"edus":[],"nested":{"pdus":["no"]}}`;
  t.same(topLevelArrayElements(body, 'pdus'), [pdu1, pdu2]);
  t.same(topLevelArrayElements(body, 'edus'), []);
  t.equal(topLevelArrayElements(body, 'origin'), null, 'not an array');
  t.equal(topLevelArrayElements(body, 'missing'), null);
  t.same(topLevelArrayElements('{"a":["]",[1,[2]],{"k":"["},"x"]}', 'a'), ['"]"', '[1,[2]]', '{"k":"["}', '"x"']);
  t.same(topLevelArrayElements('{"pdus":[1],"pdus":[2]}', 'pdus'), ['2'], 'last duplicate wins, like JSON.parse');
  t.same(topLevelArrayElements('{"p\\u0064us":[3]}', 'pdus'), ['3'], 'escaped key');
  t.equal(topLevelArrayElements('[1,2]', 'pdus'), null, 'not an object');
  t.equal(topLevelArrayElements('{"a":[1,2', 'a'), null, 'truncated text does not hang');
});

const setCases: [string, string, string, string | undefined, string][] = [
  ['replace keeps other bytes', '{"2":1,"1":2.0,"unsigned":{"age":5}, "z" : 1}', 'unsigned', '{"age":9}',
    '{"2":1,"1":2.0,"unsigned":{"age":9}, "z" : 1}'],
  ['append', '{"2":1,"a":"}"}', 'unsigned', '{}', '{"2":1,"a":"}","unsigned":{}}'],
  ['append to empty object', '{ }', 'k', '1', '{"k":1 }'],
  ['remove middle', '{"a":1,"b":[1,2],"c":3}', 'b', undefined, '{"a":1,"c":3}'],
  ['remove first', '{"a":1, "b":2}', 'a', undefined, '{"b":2}'],
  ['remove last', '{"a":1,"b":{"x":"}"}}', 'b', undefined, '{"a":1}'],
  ['remove only', '{"a":1}', 'a', undefined, '{}'],
  ['remove absent is a no-op', '{"a":1.0}', 'zz', undefined, '{"a":1.0}'],
  ['duplicates collapse', '{"a":1,"b":2,"a":3}', 'a', '4', '{"b":2,"a":4}'],
  ['key text in a string value untouched', '{"s":"\\"unsigned\\":1","unsigned":{}}', 'unsigned', '{"age":1}',
    '{"s":"\\"unsigned\\":1","unsigned":{"age":1}}'],
];
for (const [name, text, key, value, want] of setCases) {
  t.test(`setTopLevelMember: ${name}`, async (t) => {
    const got = setTopLevelMember(text, key, value);
    t.equal(got, want);
    t.doesNotThrow(() => JSON.parse(got));
  });
}

t.test('setTopLevelMember rejects non-objects', async (t) => {
  t.throws(() => setTopLevelMember('[1]', 'a', '1'));
  t.throws(() => setTopLevelMember('{"a":"unterminated', 'a', '1'));
});
