// The PDU checks of the pure core (events/pdu-check.ts): shape, numbers, size, signatures against
// a VerifyKeys given as data, content hash. No server, no network.
import t from 'tap';
import {
  checkPdu, checkUnsignedJoin, hashAndSignEvent, keysWanted, pduShapeError, precheckPdu, PduRejected, type Pdu, type VerifyKeys,
} from '../../src/events/index.js';
import { canonicalJson, decodeBase64, signingKeyFromSeed } from '../../src/crypto/index.js';

// Synapse's test seed and its public key (events-and-crypto.md vectors); a second key for "someone else".
const KEY = signingKeyFromSeed('ed25519:1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'));
const OTHER = signingKeyFromSeed('ed25519:1', new Uint8Array(32).fill(7));
const PUBLIC = 'XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI';
const NOW = 1_000_000;

const keysOf = (entries: Record<string, string | Uint8Array>): VerifyKeys => ({
  key: (server, keyId) => entries[`${server} ${keyId}`] ?? null,
});
const HS_KEYS = keysOf({ 'hs ed25519:1': PUBLIC });
const NO_KEYS: VerifyKeys = { key: () => { throw new Error('no key may be looked up'); } };

function skeleton(fields: Record<string, unknown> = {}): Pdu {
  return {
    type: 'm.room.message', room_id: '!r:hs', sender: '@a:hs', event_id: '$1:hs', origin: 'hs', origin_server_ts: 5,
    depth: 3, content: { body: 'hi', msgtype: 'm.text' }, prev_events: [['$0:hs', { sha256: 'x' }]], auth_events: [],
    hashes: {}, signatures: {}, ...fields,
  } as unknown as Pdu;
}
const signed = (fields: Record<string, unknown> = {}, key = KEY, by = 'hs') => hashAndSignEvent(skeleton(fields), by, key);
const text = (pdu: unknown) => JSON.stringify(pdu);
const check = (pdu: unknown, keys = HS_KEYS) => checkPdu(text(pdu), JSON.parse(text(pdu)), keys, NOW);
const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof PduRejected) return e.message;
    throw e;
  }
  return 'accepted';
};

t.test('a well-signed PDU: kept as received without unsigned, age turned into a timestamp', async (t) => {
  const pdu = { ...signed(), unsigned: { age: 250 } };
  const raw = `  ${text(pdu)}\n`;
  const c = checkPdu(raw, JSON.parse(raw), HS_KEYS, NOW);
  t.equal(c.hashMismatch, false);
  t.equal(c.ageTs, NOW - 250);
  t.notOk('unsigned' in c.pdu);
  t.same(JSON.parse(c.json), signed(), 'the stored text is the received one minus unsigned');
  t.equal(check(signed(), keysOf({ 'hs ed25519:1': decodeBase64(PUBLIC) })).hashMismatch, false, 'raw key bytes work as well');
});

t.test('signatures are checked against the keys given', async (t) => {
  t.equal(reason(() => check(signed(), keysOf({}))), 'signature of hs missing or invalid', 'unknown key');
  t.equal(reason(() => check(signed({}, OTHER))), 'signature of hs missing or invalid', 'signed by another key');
  t.equal(reason(() => check({ ...signed(), signatures: {} })), 'signature of hs missing or invalid', 'unsigned');
  t.equal(reason(() => check({ ...signed(), depth: 4 })), 'signature of hs missing or invalid', 'altered after signing');
  // A sender of another server: both the origin and the sender's server must have signed.
  const remoteSender = signed({ sender: '@b:other' });
  t.equal(reason(() => check(remoteSender)), 'signature of other missing or invalid');
  const both = hashAndSignEvent(remoteSender, 'other', OTHER);
  t.same([...keysWanted(both)], [['hs', ['ed25519:1']], ['other', ['ed25519:1']]]);
  t.equal(reason(() => check(both, keysOf({ 'hs ed25519:1': PUBLIC, 'other ed25519:1': OTHER.publicKeyBase64 }))), 'accepted');
});

t.test('a content hash mismatch is not a rejection: the PDU is kept redacted', async (t) => {
  const tampered = { ...signed(), content: { body: 'changed', msgtype: 'm.text' } }; // content is not signed, only hashed
  const c = check(tampered);
  t.equal(c.hashMismatch, true);
  t.same(c.pdu.content, {});
  t.equal(c.json, canonicalJson(c.pdu), 'the pruned form, as canonical JSON');
});

const shapes: [string, Record<string, unknown>, string][] = [
  ['no event_id', { event_id: undefined }, 'PDU has no event_id'],
  ['pre-2015 pdu_id', { event_id: undefined, pdu_id: 'x' }, 'pre-2015 PDU format (pdu_id/context) is not supported'],
  ['bad room_id', { room_id: 'r' }, 'invalid room_id'],
  ['bad sender', { sender: 'a' }, 'invalid sender'],
  ['event id of another server', { event_id: '$1:elsewhere' }, 'event_id is not from the origin server'],
  ['negative depth', { depth: -1 }, 'invalid depth (an integer from 0 to 9007199254740991)'],
  ['content not an object', { content: [] }, 'content is not an object'],
  ['prev_events not refs', { prev_events: ['$0:hs'] }, 'invalid prev_events'],
  ['NUL in type', { type: 'a\u0000b' }, 'NUL in type or state_key'],
  ['create with prev_events', { type: 'm.room.create', state_key: '' }, 'a create event must have no prev_events'],
  ['create of another server', { type: 'm.room.create', state_key: '', prev_events: [], sender: '@a:other' }, "a create event must come from the room's own server"],
];
for (const [name, fields, want] of shapes) {
  t.test(`shape: ${name}`, async (t) => {
    const pdu = signed(fields);
    t.equal(pduShapeError(pdu), want);
    t.equal(reason(() => check(pdu, NO_KEYS)), want, 'refused before any key is looked up');
  });
}

t.test('numbers, size and user_id-only PDUs are refused before any key is looked up', async (t) => {
  const raw = text(signed()).replace('"depth":3', '"depth":3.0');
  t.match(reason(() => checkPdu(raw, JSON.parse(raw), NO_KEYS, NOW)), /non-integer number \(3\.0/);
  t.equal(reason(() => check(signed({ type: 'x'.repeat(256) }), NO_KEYS)), "'type' too large");
  t.equal(reason(() => check(signed({ content: { body: 'x'.repeat(70_000) } }), NO_KEYS)), 'event too large');
  const userIdOnly = { ...signed(), sender: undefined, user_id: '@a:hs' };
  t.equal(reason(() => check(userIdOnly, NO_KEYS)), 'PDU has no sender (user_id-only PDUs are not accepted)');
  t.doesNotThrow(() => precheckPdu(text(signed()), signed()), 'precheck alone needs no keys');
});

t.test('an unsigned send_join event is taken only from its own server', async (t) => {
  const { hashes: _h, signatures: _s, ...bare } = skeleton({ type: 'm.room.member', state_key: '@a:hs', content: { membership: 'join' } });
  const c = checkUnsignedJoin(bare, 'hs', NOW);
  t.ok(c, 'accepted from hs');
  t.same(c!.pdu.signatures, {});
  t.type((c!.pdu.hashes as Record<string, unknown>).sha256, 'string', 'content hash added');
  t.equal(c!.ageTs, NOW);
  t.equal(reason(() => checkUnsignedJoin(bare, 'other', NOW)), 'PDU has no hashes or signatures');
  t.equal(checkUnsignedJoin(signed(), 'hs', NOW), null, 'a signed one goes through checkPdu');
});
