// Keys chosen by clients and peers are data: `__proto__`, `constructor`, `prototype` and
// `hasOwnProperty` sent through every endpoint that stores keyed data must neither pollute
// Object.prototype (which crashed initialSync on every restart and federated the crash) nor be
// lost. Read receipts from clients are m.read only (Synapse 0.10: 400 for other types); a peer's
// receipts of any type are kept and served back as data.
import t from 'tap';
import { rmSync } from 'node:fs';
import { Agent, setGlobalDispatcher } from 'undici';
import { Client, enc, http, startServer, type TestServer } from '../helpers/server.js';
import { FED_CONFIG, signedRequest, waitFor } from '../federation/helpers.js';
import { computeContentHash } from '../../src/events/index.js';
import { sha256Base64 } from '../../src/crypto/index.js';

const HOSTILE = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty'];
const V2 = '/_matrix/client/v2_alpha';
const F = '/_matrix/federation/v1';

/** An object whose keys are own properties even when named `__proto__` (what JSON.parse gives). */
function keyed(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const hostileContent = (extra: [string, unknown][] = []) =>
  keyed([...extra, ...HOSTILE.map((k): [string, unknown] => [k, { polluted: true, visibility: 'public' }])]);

/** Nothing the test sent reached Object.prototype of the server process (the servers run in this one). */
function prototypeIsClean(t: { same(a: unknown, b: unknown, m: string): unknown; equal(a: unknown, b: unknown, m: string): unknown }, what: string): void {
  const probe: Record<string, unknown> = {};
  const leaked = Object.getOwnPropertyNames(Object.prototype).filter((k) => k.startsWith('@') || k.startsWith('$') || k === 'visibility' || k === 'polluted');
  t.same(leaked, [], `Object.prototype has no data keys ${what}`);
  t.equal(probe.visibility, undefined, `no inherited visibility ${what}`);
}

async function sendTxn(from: TestServer, to: TestServer, txnId: string, body: Record<string, unknown>) {
  return signedRequest(from, to, 'PUT', `${F}/send/${txnId}/`, { body: { origin: from.serverName, origin_server_ts: Date.now(), pdus: [], ...body } });
}

t.test('prototype keys through every keyed endpoint stay data: initialSync, /events, createRoom and a restart still work, the peer stays alive', async (t) => {
  let A = await startServer({ config: FED_CONFIG });
  const B = await startServer({ config: FED_CONFIG });
  const { dir: dirA, port: portA } = A;
  t.teardown(async () => {
    await B.close();
    await A.stop();
    rmSync(dirA, { recursive: true, force: true });
  });
  const alice = await Client.register(A, 'alice');
  const bob = await Client.register(B, 'bob');
  const room = (await alice.post('/createRoom', { room_alias_name: 'keys', visibility: 'public' })).body.room_id as string;
  t.equal((await bob.post(`/join/${enc(`#keys:${A.serverName}`)}`)).status, 200, 'bob on B joins');
  await waitFor(() => A.hs.storage.state.membershipOf(room, bob.userId!) === 'join', "bob's join on A");
  const msg = (await alice.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'read me' })).body.event_id as string;
  await waitFor(() => B.hs.storage.events.getEvent(msg), 'the message on B');
  const fromA = (await alice.get('/initialSync?limit=0')).body.end as string;

  // Read receipts from clients: m.read only.
  for (const type of HOSTILE) {
    const r = await alice.req('POST', `${V2}/rooms/${enc(room)}/receipt/${enc(type)}/${enc(msg)}`, {});
    t.equal(r.status, 400, `receipt type ${type} is refused`);
    t.equal(r.body.errcode, 'M_INVALID_PARAM');
  }
  t.equal((await alice.req('POST', `${V2}/rooms/${enc(room)}/receipt/m.read/__proto__`, {})).status, 400, 'receipt for event __proto__: not an event id');
  t.equal((await alice.req('POST', `${V2}/rooms/${enc(room)}/receipt/m.read/${enc(msg)}`, {})).status, 200, 'an m.read receipt');

  // A peer's m.receipt EDU keyed by hostile receipt types (and hostile room/user keys, which are skipped).
  const receiptEdu = (from: TestServer, user: string) => ({
    edu_type: 'm.receipt',
    content: keyed([
      [room, keyed(HOSTILE.map((k): [string, unknown] => [k, keyed([[user, { event_ids: [msg], data: { ts: 1441203262431 } }], ['__proto__', { event_ids: [msg] }]])]))],
      ['__proto__', { 'm.read': keyed([[user, { event_ids: [msg] }]]) }],
    ]),
  });
  const toA = await sendTxn(B, A, 'keys-1', { edus: [receiptEdu(B, bob.userId!)] });
  t.equal(toA.status, 200, 'A takes the transaction');
  // The same from A to B: the peer handles hostile keys as well.
  const toB = await sendTxn(A, B, 'keys-1', { edus: [receiptEdu(A, alice.userId!)] });
  t.equal(toB.status, 200, 'B takes the transaction');

  // A peer cannot make us store receipts of ever more types: at most 8 per user and room.
  const manyTypes = keyed([[room, keyed(Array.from({ length: 20 }, (_, i): [string, unknown] => [`org.example.t${i}`, keyed([[bob.userId!, { event_ids: [msg] }]])]))]]);
  t.equal((await sendTxn(B, A, 'keys-many', { edus: [{ edu_type: 'm.receipt', content: manyTypes }] })).status, 200);
  t.equal(A.hs.storage.receipts.types(room, bob.userId!).length, 8, 'receipt types per user and room are bounded');

  // Typing, presence EDUs with hostile keys; a PDU whose event_id is `__proto__`.
  const otherEdus = [
    { edu_type: 'm.typing', content: hostileContent([['room_id', room], ['user_id', bob.userId], ['typing', true]]) },
    { edu_type: 'm.presence', content: hostileContent([['push', [hostileContent([['user_id', bob.userId], ['presence', 'online'], ['status_msg', '__proto__']])]]]) },
    { edu_type: '__proto__', content: hostileContent() },
  ];
  const pduTxn = await sendTxn(B, A, 'keys-2', { pdus: [{ event_id: '__proto__', room_id: room, type: 'm.room.message' }], edus: otherEdus });
  t.equal(pduTxn.status, 200);
  t.ok(Object.hasOwn(JSON.parse(pduTxn.text).pdus, '__proto__'), 'the per-PDU answer keyed __proto__ is data in the response');
  t.ok(JSON.parse(pduTxn.text).pdus.__proto__?.error, 'and it reports the PDU as refused');

  // Client endpoints that store keyed data.
  const typing = await alice.req('PUT', `/rooms/${enc(room)}/typing/${enc(alice.userId!)}`, undefined, {
    rawBody: '{"typing": true, "timeout": 10000, "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
  });
  t.equal(typing.status, 200, 'typing with hostile keys in the body');
  t.equal((await alice.put(`/rooms/${enc(room)}/typing/__proto__`, { typing: true })).status, 400, 'typing as user __proto__: not a user id');
  t.equal((await alice.put(`/presence/${enc(alice.userId!)}/status`, { presence: 'online', status_msg: '__proto__' })).status, 200);
  const presenceKeys = await alice.req('PUT', `/presence/${enc(alice.userId!)}/status`, undefined, { rawBody: '{"presence": "online", "__proto__": {"polluted": true}}' });
  t.equal(presenceKeys.status, 400, 'an unknown key __proto__ in a presence body is refused like any other');
  t.equal((await alice.get('/presence/__proto__/status')).status, 400, 'presence of __proto__: not a user id');
  const listed = await alice.post(`/presence/list/${enc(alice.userId!)}`, { invite: HOSTILE.map((k) => `@${k}:${A.serverName}`) });
  t.equal(listed.status, 200, 'presence list invites of users named like prototype keys');
  t.same((await alice.get(`/presence/list/${enc(alice.userId!)}`)).body.map((e: any) => e.user_id).sort(), HOSTILE.map((k) => `@${k}:${A.serverName}`).sort());

  // Push rules: rule ids, patterns, tweaks and conditions named like prototype keys.
  for (const id of HOSTILE) {
    const content = await alice.put(`/pushrules/global/content/${enc(id)}`, { pattern: id, actions: ['notify', { set_tweak: id, value: hostileContent() }] });
    t.equal(content.status, 200, `content rule ${id}`);
    const override = await alice.put(`/pushrules/global/override/${enc(id)}`, {
      conditions: [hostileContent([['kind', 'event_match'], ['key', id], ['pattern', id]])], actions: ['dont_notify'],
    });
    t.equal(override.status, 200, `override rule ${id}`);
  }
  t.equal((await alice.put('/pushrules/global/content/__proto__/enabled', false)).status, 200);
  t.equal((await alice.put('/pushrules/global/content/constructor/actions', { actions: ['coalesce'] })).status, 200);
  t.equal((await alice.get('/pushrules/global/__proto__/')).status, 400, 'kind __proto__');
  t.equal((await alice.get('/pushrules/__proto__/')).status, 400, 'scope __proto__');
  const rule = await alice.get('/pushrules/global/content/__proto__');
  t.equal(rule.body.rule_id, '__proto__');
  t.equal(rule.body.enabled, false, 'the enabled flag of rule __proto__ is its own');
  t.same((await alice.get('/pushrules/global/content/constructor/actions')).body, { actions: ['coalesce'] });
  t.equal((await alice.get('/pushrules/global/content/hasOwnProperty')).body.enabled, true);
  const override = (await alice.get('/pushrules/global/override/prototype')).body;
  t.ok(Object.hasOwn(override.conditions[0], '__proto__'), 'a condition key __proto__ round-trips');

  // Profile, room state and event content.
  t.equal((await alice.put(`/profile/${enc(alice.userId!)}/displayname`, { displayname: '__proto__' })).status, 200);
  t.same((await alice.get(`/profile/${enc(alice.userId!)}/displayname`)).body, { displayname: '__proto__' });
  t.equal((await alice.get('/profile/__proto__')).status, 400);
  for (const [type, key] of [['__proto__', '__proto__'], ['constructor', 'prototype'], ['hasOwnProperty', '']]) {
    const put = await alice.put(`/rooms/${enc(room)}/state/${enc(type!)}/${enc(key!)}`, hostileContent([['name', type]]));
    t.equal(put.status, 200, `state ${type}/${key}`);
    const got = await alice.get(`/rooms/${enc(room)}/state/${enc(type!)}/${enc(key!)}`);
    t.ok(Object.hasOwn(got.body, '__proto__') && got.body.name === type, `state ${type}/${key} reads back with its own __proto__ key`);
  }
  const sent = await alice.post(`/rooms/${enc(room)}/send/m.room.message`, hostileContent([['msgtype', 'm.text'], ['body', 'hostile keys']]));
  t.equal(sent.status, 200);
  t.equal((await alice.put(`/directory/room/${enc(`#__proto__:${A.serverName}`)}`, { room_id: room })).status, 200, 'alias #__proto__');
  t.equal((await alice.get(`/directory/room/${enc(`#__proto__:${A.serverName}`)}`)).body.room_id, room);

  prototypeIsClean(t, 'after every hostile key');

  // Everything still answers.
  const sync = await alice.get('/initialSync?limit=20');
  t.equal(sync.status, 200, 'initialSync answers');
  const receipts = sync.body.receipts.find((r: any) => r.room_id === room)?.content?.[msg];
  t.ok(receipts?.['m.read']?.[alice.userId!], "alice's own m.read receipt");
  for (const k of HOSTILE) t.ok(Object.hasOwn(receipts ?? {}, k) && receipts[k][bob.userId!]?.ts === 1441203262431, `the peer's receipt of type ${k} is served back as data`);
  const hostileMsg = sync.body.rooms.find((r: any) => r.room_id === room).messages.chunk.find((e: any) => e.event_id === sent.body.event_id);
  t.ok(Object.hasOwn(hostileMsg.content, '__proto__') && hostileMsg.content.body === 'hostile keys', 'event content keeps its __proto__ key');
  const events = await alice.get(`/events?from=${enc(fromA)}&timeout=0`);
  t.equal(events.status, 200, '/events answers');
  t.ok(events.body.chunk.some((e: any) => e.type === 'm.receipt'), 'and carries the receipts');
  t.equal((await alice.get(`/rooms/${enc(room)}/initialSync`)).status, 200, 'room initialSync answers');
  const plain = await alice.post('/createRoom', {});
  t.equal(plain.status, 200, 'createRoom without visibility works');
  const listedRooms = (await alice.get('/publicRooms')).body.chunk.map((r: any) => r.room_id);
  t.notOk(listedRooms.includes(plain.body.room_id), 'and the room is private');
  await waitFor(() => B.hs.storage.events.getEvent(sent.body.event_id), 'the hostile-keyed message on B');
  const onB = await bob.get(`/events/${enc(sent.body.event_id)}`);
  t.ok(Object.hasOwn(onB.body.content ?? {}, '__proto__') && onB.body.content.body === 'hostile keys', 'the peer verifies and serves the content unredacted');
  const bobSync = await bob.get('/initialSync?limit=5');
  t.equal(bobSync.status, 200, "the peer's initialSync answers");
  t.ok(Object.hasOwn(bobSync.body.receipts.find((r: any) => r.room_id === room)?.content?.[msg] ?? {}, '__proto__'), 'the peer serves the hostile receipt type as data');
  t.equal((await http(B.url, 'GET', '/_matrix/key/v2/server')).status, 200, 'the peer is alive');

  // A restart reads the stored rows back.
  await A.stop();
  A = await startServer({ config: FED_CONFIG, dir: dirA, port: portA });
  setGlobalDispatcher(new Agent());
  const again = await alice.get('/initialSync?limit=20');
  t.equal(again.status, 200, 'initialSync answers after a restart');
  const kept = again.body.receipts.find((r: any) => r.room_id === room)?.content?.[msg];
  t.ok(Object.hasOwn(kept ?? {}, '__proto__') && kept['m.read'][alice.userId!], 'receipts of every type are kept across the restart');
  t.equal((await alice.get('/pushrules/')).status, 200, 'push rules answer after a restart');
  t.equal((await alice.post('/createRoom', {})).status, 200, 'createRoom without visibility after a restart');
  prototypeIsClean(t, 'after the restart');
});

t.test('the content hash of a peer event covers a top-level __proto__ key like any other key', async (t) => {
  const text = '{"__proto__":{"a":1},"content":{"body":"x"},"room_id":"!r:hs","type":"m.room.message"}';
  t.equal(computeContentHash(JSON.parse(text)), sha256Base64(text), 'hash of the canonical text, __proto__ included');
});
