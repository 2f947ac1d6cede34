// The write path signs new events with each value encoded once (events/sign-new-event.ts): the
// result must be byte for byte what hashAndSignEvent, canonicalJson and computeReferenceHash give.
import t from 'tap';
import { canonicalJson } from '../../src/crypto/index.js';
import { newSigningKey } from '../../src/random.js';
import { buildEvent, computeReferenceHash, hashAndSignEvent, verifyEventSignature, checkContentHash, type EventTemplate } from '../../src/events/index.js';
import { signNewEvent } from '../../src/events/sign-new-event.js';

const key = newSigningKey('a1');
const templates: EventTemplate[] = [
  { type: 'm.room.message', room_id: '!r:hs', sender: '@a:hs', content: { msgtype: 'm.text', body: 'héllo 😀 "quoted"\n', n: 5, nested: { z: 1, a: [1, { b: null }] } } },
  { type: 'm.room.member', room_id: '!r:hs', sender: '@a:hs', state_key: '@a:hs', content: { membership: 'join', displayname: 'A' } },
  { type: 'm.room.power_levels', room_id: '!r:hs', sender: '@a:hs', state_key: '', content: { users: { '@a:hs': 100 }, ban: 50, extra: true } },
  { type: 'm.room.redaction', room_id: '!r:hs', sender: '@a:hs', content: { reason: 'spam' }, redacts: '$x:hs' },
  { type: 'toString', room_id: '!r:hs', sender: '@a:hs', content: { '\u{1F600}': 1, '\uE000': 2, a: 3 } },
];

for (const tpl of templates) {
  t.test(`signNewEvent matches the general path for ${tpl.type}`, async (t) => {
    const built = buildEvent(tpl, {
      eventId: '$1:hs', origin: 'hs', originServerTs: 1_441_203_262_431,
      prevEvents: [{ event_id: '$0:hs', depth: 3, referenceHash: 'p'.repeat(43) }],
      authEvents: [{ event_id: '$c:hs', referenceHash: 'c'.repeat(43) }],
    });
    const expected = hashAndSignEvent(built, 'hs', key);
    const got = signNewEvent(built, 'hs', key);
    t.same(got.pdu, expected);
    t.equal(got.json, canonicalJson(expected));
    t.equal(got.referenceHash, computeReferenceHash(expected));
    t.ok(checkContentHash(JSON.parse(got.json)));
    t.ok(verifyEventSignature(JSON.parse(got.json), 'hs', key.keyId, key.publicKey));
  });
}
