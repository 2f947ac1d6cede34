import t from 'tap';
import { pruneEvent, redactedForm, redactedJson, verifyEventSignature, hashAndSignEvent, type JsonObject } from '../../src/events/index.js';
import { signingKeyFromSeed, decodeBase64 } from '../../src/crypto/index.js';

const TOP_LEVEL = {
  event_id: '$e:hs', sender: '@a:hs', room_id: '!r:hs', hashes: { sha256: 'h' }, signatures: { hs: { 'ed25519:a': 's' } },
  depth: 5, prev_events: [['$p:hs', { sha256: 'p' }]], prev_state: [], auth_events: [['$a:hs', { sha256: 'a' }]],
  origin: 'hs', origin_server_ts: 1000, membership: 'join', state_key: '',
};
const DROPPED = { redacts: '$x:hs', user_id: '@a:hs', age_ts: 5, outlier: false, destinations: ['x'], custom: 1 };

const contentRows: [string, JsonObject, JsonObject][] = [
  ['m.room.member', { membership: 'join', displayname: 'A', avatar_url: 'mxc://x' }, { membership: 'join' }],
  ['m.room.create', { creator: '@a:hs', 'm.federate': false }, { creator: '@a:hs' }],
  ['m.room.join_rules', { join_rule: 'public', extra: 1 }, { join_rule: 'public' }],
  ['m.room.power_levels',
    { users: { '@a:hs': 100 }, users_default: 0, events: { x: 1 }, events_default: 0, state_default: 50, ban: 50,
      kick: 50, redact: 50, invite: 0, other: 1 },
    { users: { '@a:hs': 100 }, users_default: 0, events: { x: 1 }, events_default: 0, state_default: 50, ban: 50,
      kick: 50, redact: 50 }],
  ['m.room.aliases', { aliases: ['#a:hs'], x: 1 }, { aliases: ['#a:hs'] }],
  ['m.room.history_visibility', { history_visibility: 'joined', x: 1 }, { history_visibility: 'joined' }],
  ['m.room.name', { name: 'Secret' }, {}],
  ['m.room.topic', { topic: 'Secret' }, {}],
  ['m.room.message', { body: 'hi', msgtype: 'm.text' }, {}],
  ['m.room.redaction', { reason: 'spam' }, {}],
  ['org.example.unknown', { anything: 1 }, {}],
  ['toString', { a: 1 }, {}],
];
for (const [type, content, kept] of contentRows) {
  t.test(`prune ${type}`, async (t) => {
    const ev = { ...TOP_LEVEL, ...DROPPED, type, content, unsigned: { age_ts: 7, age: 3, prev_content: {} } };
    const out = pruneEvent(ev);
    t.same(out, { ...TOP_LEVEL, type, content: kept, unsigned: { age_ts: 7 } });
    for (const k of Object.keys(DROPPED)) t.notOk(k in out, `${k} dropped`);
    t.same(ev.content, content, 'input untouched');
  });
}

t.test('prune: missing content and unsigned', async (t) => {
  t.same(pruneEvent({ type: 'm.room.member', event_id: '$e:hs' }), { type: 'm.room.member', event_id: '$e:hs', content: {}, unsigned: {} });
  t.same(pruneEvent({ type: 'm.room.member', content: 'bad', unsigned: { age: 1 } }).content, {});
  t.same(pruneEvent({ type: 'm.room.member', content: { x: 1 }, unsigned: { age: 1 } }).unsigned, {});
});

t.test('prune is idempotent', async (t) => {
  const ev = { ...TOP_LEVEL, ...DROPPED, type: 'm.room.power_levels', content: { ban: 1, invite: 2 }, unsigned: {} };
  t.same(pruneEvent(pruneEvent(ev)), pruneEvent(ev));
});

t.test('redactedJson: pruned, no unsigned, canonical JSON (vector)', async (t) => {
  const ev = {
    type: 'm.room.message', room_id: '!r:hs', sender: '@a:hs', event_id: '$e:hs', depth: 3, origin: 'hs', origin_server_ts: 1,
    content: { msgtype: 'm.text', body: 'secret' }, unsigned: { age: 7 }, hashes: { sha256: 'h' }, signatures: {},
    prev_events: [], auth_events: [], redacts: '$x:hs',
  };
  t.equal(redactedJson(ev),
    '{"auth_events":[],"content":{},"depth":3,"event_id":"$e:hs","hashes":{"sha256":"h"},"origin":"hs","origin_server_ts":1,'
    + '"prev_events":[],"room_id":"!r:hs","sender":"@a:hs","signatures":{},"type":"m.room.message"}');
  const { event, json } = redactedForm(ev);
  t.same(JSON.parse(json), event, 'the object and the text agree');
  t.notOk('unsigned' in event);
  t.same(ev.content, { msgtype: 'm.text', body: 'secret' }, 'the input is left alone');
});

t.test('the redacted form of a signed event still verifies', async (t) => {
  const key = signingKeyFromSeed('ed25519:1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'));
  const signed = hashAndSignEvent({
    type: 'm.room.member', room_id: '!r:hs', sender: '@a:hs', event_id: '$e:hs', depth: 3, origin: 'hs', origin_server_ts: 1,
    state_key: '@a:hs', content: { membership: 'join', displayname: 'A' }, prev_events: [], auth_events: [], hashes: {}, signatures: {},
  } as JsonObject, 'hs', key);
  t.ok(verifyEventSignature(JSON.parse(redactedJson(signed)), 'hs', key.keyId, key.publicKey));
});
