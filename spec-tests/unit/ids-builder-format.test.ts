import t from 'tap';
import {
  buildEvent, checkContentHash, computeReferenceHash, eventRef, hashAndSignEvent, isValidEventId, isValidRoomAlias,
  isValidNewAliasName, isValidRoomId, isValidServerName, isValidUserId, localpartOf, makeEventId, makeRoomId, randomString, serverOf, splitStateKey,
  MAX_DEPTH, depthAfter, isValidDepth,
  stateKey, toClientEvent,
} from '../../src/events/index.js';
import { newSigningKey, randomLetters } from '../../src/random.js';

t.test('serverOf takes everything after the first colon', async (t) => {
  t.equal(serverOf('@a:example.org'), 'example.org');
  t.equal(serverOf('$1:example.org:8448'), 'example.org:8448');
  t.throws(() => serverOf('nocolon'));
});

const ids: [string, (s: unknown) => boolean, unknown, boolean][] = [
  ['user', isValidUserId, '@alice:example.org', true],
  ['user with port', isValidUserId, '@alice:example.org:8448', true],
  ['user with IPv6', isValidUserId, '@a:[::1]:8448', true],
  ['user no localpart', isValidUserId, '@:example.org', false],
  ['user no server', isValidUserId, '@alice', false],
  ['user bad sigil', isValidUserId, '!alice:example.org', false],
  ['user too long', isValidUserId, '@' + 'a'.repeat(250) + ':hs.org', false],
  ['user not a string', isValidUserId, 42, false],
  ['room', isValidRoomId, '!abcdef:hs', true],
  ['room bad server', isValidRoomId, '!abc:bad server', false],
  ['alias', isValidRoomAlias, '#lounge:hs', true],
  ['alias as room', isValidRoomId, '#lounge:hs', false],
  ['event', isValidEventId, '$1441203262431AbCdE:example.org', true],
  ['event no sigil', isValidEventId, '1441:example.org', false],
  ['user with a control character', isValidUserId, '@a\u0000b:hs', false],
  ['user with a line separator', isValidUserId, '@a\u2028b:hs', false],
  ['user with a lone surrogate', isValidUserId, '@a\ud800:hs', false],
  ['user 255 bytes', isValidUserId, '@' + 'a'.repeat(250) + ':h.o', true],
  ['user 256 bytes (multi-byte)', isValidUserId, '@' + '\u00e9'.repeat(125) + ':hs.or', false],
  ['alias with port out of range', isValidRoomAlias, '#a:localhost:99999', false],
  ['room with a bad server', isValidRoomId, '!a:bad_server!', false],
];

const serverNames: [string, boolean][] = [
  ['localhost', true], ['localhost:8448', true], ['matrix.org', true], ['my-host.example.org:1', true],
  ['127.0.0.1', true], ['127.0.0.1:65535', true], ['[::1]', true], ['[::1]:8448', true], ['[2001:db8::ff00:42:8329]', true],
  ['', false], ['localhost:', false], ['localhost:0', false], ['localhost:65536', false], ['localhost:99999', false],
  ['localhost:80a', false], ['bad_server!', false], ['a..b', false], ['.a', false], ['a.', false], ['-a', false], ['a-', false],
  ['a b', false], ['::1', false], ['[::1', false], ['[zz::1]', false], ['[::1]x', false], ['host/x', false], ['host?x', false],
  ['user@host', false], ['a'.repeat(64), false], ['a.'.repeat(128) + 'org', false],
];
for (const [name, want] of serverNames) {
  t.test(`server name ${JSON.stringify(name.slice(0, 30))} is ${want ? 'valid' : 'invalid'}`, async (t) => t.equal(isValidServerName(name), want));
}

t.test('new alias names: no ":" or "/", bridges\' "#" allowed, 255 bytes in all', async (t) => {
  t.ok(isValidNewAliasName('lounge', 'hs'));
  t.ok(isValidNewAliasName('freenode_#matrix', 'hs'));
  t.ok(isValidNewAliasName('x'.repeat(251), 'hs'));
  t.notOk(isValidNewAliasName('x'.repeat(252), 'hs'));
  for (const bad of ['', 'a/b', 'a:b', 'a b', 'a\u0000b', 42]) t.notOk(isValidNewAliasName(bad, 'hs'), JSON.stringify(bad));
});
for (const [name, fn, input, want] of ids) {
  t.test(`id validation: ${name}`, async (t) => t.equal(fn(input), want));
}

t.test('id helpers', async (t) => {
  t.equal(localpartOf('@alice:hs:8448'), 'alice');
  t.throws(() => localpartOf('alice'));
  t.equal(makeRoomId('hs', () => 'ABC'), '!ABC:hs');
  t.equal(makeEventId('hs', 1441203262431, 3, 'AbCdE'), '$14412032624313AbCdE:hs');
  t.match(randomLetters(18), /^[A-Za-z]{18}$/);
  t.same(splitStateKey(stateKey('m.room.member', '@a:hs')), ['m.room.member', '@a:hs']);
  t.same(splitStateKey(stateKey('t', '')), ['t', '']);
  t.throws(() => splitStateKey('nokey'));
});

t.test('randomString maps the bytes of the source it is given to letters, skipping biased bytes', async (t) => {
  const bytes = (...b: number[]) => () => new Uint8Array(b);
  t.equal(randomString(4, bytes(0, 25, 26, 51)), 'azAZ');
  t.equal(randomString(3, bytes(52, 77, 207)), 'azZ', 'byte mod 52');
  // 208..255 would make the first 48 letters likelier: skipped, and more bytes are asked for.
  const calls: number[] = [];
  const feed = [[208, 255, 0], [1, 2, 3, 4, 5]];
  t.equal(randomString(3, (n) => (calls.push(n), new Uint8Array(feed.shift()!))), 'abc');
  t.equal(calls.length, 2, 'asked again after skipping');
  t.equal(randomString(0, bytes()), '');
});

t.test('buildEvent: depth, refs, state fields', async (t) => {
  const ev = buildEvent(
    { type: 'm.room.topic', room_id: '!r:hs', sender: '@a:hs', content: { topic: 'x' }, state_key: '' },
    {
      eventId: '$e:hs', origin: 'hs', originServerTs: 1000,
      prevEvents: [{ event_id: '$p1:hs', depth: 4, referenceHash: 'h1' }, { event_id: '$p2:hs', depth: 7, referenceHash: 'h2' }],
      authEvents: [{ event_id: '$a:hs', referenceHash: 'ha' }],
    },
  );
  t.equal(ev.depth, 8);
  t.same(ev.prev_events, [['$p1:hs', { sha256: 'h1' }], ['$p2:hs', { sha256: 'h2' }]]);
  t.same(ev.auth_events, [['$a:hs', { sha256: 'ha' }]]);
  t.same(ev.prev_state, []);
  t.equal(ev.state_key, '');
  t.notOk('unsigned' in ev);
  t.notOk('redacts' in ev);
  const key = newSigningKey();
  const signed = hashAndSignEvent(ev, 'hs', key);
  t.ok(checkContentHash(signed));
  t.notOk(checkContentHash({ ...signed, content: { topic: 'y' } }));
  t.notOk(checkContentHash({ ...signed, hashes: {} }));
  t.ok(checkContentHash({ ...signed, hashes: { sha256: signed.hashes.sha256 + '=' } }), 'padded hash accepted');
  t.same(eventRef(signed), ['$e:hs', { sha256: computeReferenceHash(signed) }]);
});

t.test('buildEvent: first event and redaction', async (t) => {
  const opts = { eventId: '$e:hs', origin: 'hs', originServerTs: 1, prevEvents: [], authEvents: [] };
  const create = buildEvent({ type: 'm.room.create', room_id: '!r:hs', sender: '@a:hs', content: { creator: '@a:hs' }, state_key: '' },
    { ...opts, prevState: [['$x:hs', { sha256: 'q' }]] });
  t.equal(create.depth, 1);
  t.same(create.prev_state, [['$x:hs', { sha256: 'q' }]]);
  const red = buildEvent({ type: 'm.room.redaction', room_id: '!r:hs', sender: '@a:hs', content: {}, redacts: '$v:hs' }, opts);
  t.equal(red.redacts, '$v:hs');
  t.notOk('state_key' in red);
  t.notOk('prev_state' in red);
});

t.test('depth is capped at 2^53-1, so an event after a peer\'s huge depth still encodes', async (t) => {
  t.equal(MAX_DEPTH, 2 ** 53 - 1);
  t.equal(depthAfter([]), 1);
  t.equal(depthAfter([3, 9, 4]), 10);
  t.equal(depthAfter([MAX_DEPTH - 1]), MAX_DEPTH);
  t.equal(depthAfter([MAX_DEPTH, 5]), MAX_DEPTH, 'min(max(prev)+1, cap)');
  const ev = buildEvent({ type: 'm.room.message', room_id: '!r:hs', sender: '@a:hs', content: {} }, {
    eventId: '$e:hs', origin: 'hs', originServerTs: 1, authEvents: [],
    prevEvents: [{ event_id: '$p:hs', depth: MAX_DEPTH, referenceHash: 'h' }],
  });
  t.equal(ev.depth, MAX_DEPTH);
  t.doesNotThrow(() => hashAndSignEvent(ev, 'hs', newSigningKey()), 'still canonical JSON');
  for (const [d, ok] of [[0, true], [1, true], [MAX_DEPTH, true], [MAX_DEPTH + 1, false], [-1, false], [1.5, false], ['1', false], [null, false]] as const) {
    t.equal(isValidDepth(d), ok, `isValidDepth(${String(d)})`);
  }
});

const pdu = {
  auth_events: [], content: { body: 'hi' }, depth: 3, event_id: '$e:hs', hashes: { sha256: 'x' }, origin: 'hs',
  origin_server_ts: 1000, prev_events: [], room_id: '!r:hs', sender: '@a:hs', signatures: {}, type: 'm.room.message',
  unsigned: { age_ts: 1500, prev_content: { old: 1 } }, prev_state: [], custom_key: 7,
};

t.test('toClientEvent: v1 shape', async (t) => {
  const ev = toClientEvent(pdu, { now: 2000 });
  t.same(ev, {
    content: { body: 'hi' }, event_id: '$e:hs', origin_server_ts: 1000, room_id: '!r:hs', sender: '@a:hs',
    user_id: '@a:hs', type: 'm.room.message', age: 500, prev_content: { old: 1 }, custom_key: 7,
  });
});

t.test('toClientEvent: options override and extras', async (t) => {
  const ev = toClientEvent({ ...pdu, state_key: '', unsigned: { age: 42 } }, {
    now: 2000, prevContent: { topic: 'old' }, replacesState: '$old:hs', redactedBecause: { event_id: '$r:hs' },
    transactionId: 'txn1',
  });
  t.equal(ev.age, 42, 'age from unsigned.age');
  t.equal(ev.state_key, '');
  t.same(ev.prev_content, { topic: 'old' });
  t.equal(ev.replaces_state, '$old:hs');
  t.same(ev.redacted_because, { event_id: '$r:hs' });
  t.same(ev.unsigned, { transaction_id: 'txn1' });
  t.equal(toClientEvent(pdu, { now: 5000, ageTs: 4000 }).age, 1000, 'explicit ageTs wins');
  const { unsigned: _u, ...noUnsigned } = pdu;
  t.equal(toClientEvent(noUnsigned, { now: 5000 }).age, 4000, 'falls back to origin_server_ts');
  t.equal(toClientEvent({ ...noUnsigned, sender: undefined, user_id: '@old:hs' }, { now: 0 }).sender, '@old:hs');
  t.equal(toClientEvent({ ...pdu, redacts: '$x:hs' }, { now: 0 }).redacts, '$x:hs', 'redacts kept');
});

t.test('toClientEvent: a member event carries membership at the top level too, as Synapse\'s did', async (t) => {
  const ev = toClientEvent({ ...pdu, type: 'm.room.member', state_key: '@a:hs', content: { membership: 'join' } }, { now: 2000 });
  t.equal(ev.membership, 'join');
  t.notOk('membership' in toClientEvent(pdu, { now: 2000 }), 'only member events');
});
