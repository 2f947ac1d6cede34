// A hostile peer server (issue 10, items 2-4): server B's real signing key forges PDUs and signs
// the transactions that carry them to A. Each attack must fail with nothing visible to A's
// clients, and A's users must carry on as before.
import t from 'tap';
import { randomLetters } from '../../src/random.js';
import { http } from '../helpers/server.js';
import { enc, register, signedRequest, pairFor, waitFor, messageBodies, federatedRoom } from '../federation/helpers.js';
import { F, forge, alter, honestNext, ref, sendPdus, visible, assertNoneVisible } from '../federation/forge.js';
import { randomString, type Pdu } from '../../src/events/index.js';

const MAX_DEPTH = 2 ** 53 - 1;

t.test('a peer cannot take over a local room with a second m.room.create, a join on it and power levels', async (t) => {
  const { A, B, alice, bob, roomId } = await federatedRoom(t, { alias: 'takeover' });
  const dave = `@dave:${B.serverName}`;

  // The attack of the report: a new create naming dave creator, dave's join on it, dave at 100.
  const create = forge(B, { type: 'm.room.create', room_id: roomId, sender: dave, state_key: '', content: { creator: dave } });
  const join = forge(B, {
    type: 'm.room.member', room_id: roomId, sender: dave, state_key: dave, content: { membership: 'join' },
    prev_events: [ref(create)], auth_events: [ref(create)], depth: 2,
  });
  const pl = forge(B, {
    type: 'm.room.power_levels', room_id: roomId, sender: dave, state_key: '',
    content: { users: { [dave]: 100 }, users_default: 0, events_default: 0, state_default: 0, ban: 0, kick: 0, redact: 0 },
    prev_events: [ref(join)], auth_events: [ref(create), ref(join)], depth: 3,
  });
  // The same create hung on the room's real graph, and one of the room's own server name... from B.
  const honest = honestNext(B, { type: 'm.room.message', room_id: roomId, sender: bob.userId!, content: { msgtype: 'm.text', body: 'x' } });
  const grafted = alter(B, honest, { type: 'm.room.create', sender: dave, state_key: '', content: { creator: dave } });
  const local = alter(B, honest, { type: 'm.room.create', sender: bob.userId, state_key: '', content: { creator: alice.userId }, prev_events: [], auth_events: [] });
  // And with dave "in charge", a ban of the real creator built on the room's real graph.
  const ban = alter(B, honest, { type: 'm.room.member', sender: dave, state_key: alice.userId, content: { membership: 'ban' } });

  const results = await sendPdus(B, A, [create, join, pl, grafted, local, ban]);
  for (const [name, ev] of Object.entries({ create, join, pl, grafted, local })) {
    t.type(results[ev.event_id]?.error, 'string', `${name} refused: ${results[ev.event_id]?.error}`);
  }
  t.ok(A.hs.storage.events.getEvent(ban.event_id)?.rejected_reason, 'the ban fails the auth rules (kept only as rejected)');
  t.match(results[create.event_id]!.error, /room's own server/);
  t.match(results[grafted.event_id]!.error, /prev_events/);
  t.match(results[local.event_id]!.error, /room's own server/, 'a room of A is created by a user of A only');

  const seen = await visible(alice, roomId);
  assertNoneVisible(t, seen, [create, join, pl, grafted, local, ban].map((e) => e.event_id), 'forged');
  const creates = seen.state.filter((e: any) => e.type === 'm.room.create');
  t.equal(creates.length, 1, 'one create in the state');
  t.equal(creates[0].content.creator, alice.userId, 'alice is still the creator');
  t.notOk(seen.state.some((e: any) => e.state_key === dave), 'dave has no membership');
  const power = seen.state.find((e: any) => e.type === 'm.room.power_levels');
  t.equal(power.content.users[alice.userId!], 100);
  t.notOk(dave in power.content.users);
  t.equal((await alice.get(`/rooms/${enc(roomId)}/state/m.room.member/${enc(alice.userId!)}`)).body.membership, 'join');
  for (const id of [create, join, pl].map((e) => e.event_id)) {
    t.equal((await alice.get(`/events/${enc(id)}`)).status, 404, `${id} cannot be fetched`);
  }

  // The room goes on: alice sends, names the room and kicks nobody by mistake; bob still hears her.
  const sent = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/after`, { msgtype: 'm.text', body: 'still mine' });
  t.equal(sent.status, 200);
  t.equal((await alice.put(`/rooms/${enc(roomId)}/state/m.room.name`, { name: 'Still alice' })).status, 200);
  await waitFor(async () => messageBodies((await bob.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=20`)).body.chunk).includes('still mine'), 'bob receives alice');
});

t.test("a second create from the room's own server is refused: a create is only valid as the first event", async (t) => {
  const [A, B] = await pairFor(t);
  // The room lives on B this time, so B may sign creates in its name; it still gets one.
  const bob = await register(B, 'bob');
  const alice = await register(A, 'alice');
  const { body } = await bob.post('/createRoom', { room_alias_name: 'bobs' });
  const roomId: string = body.room_id;
  t.equal((await alice.post(`/join/${enc(`#bobs:${B.serverName}`)}`, {})).status, 200);
  const mallory = `@mallory:${B.serverName}`;
  const create = forge(B, { type: 'm.room.create', room_id: roomId, sender: mallory, state_key: '', content: { creator: mallory } });
  const join = forge(B, {
    type: 'm.room.member', room_id: roomId, sender: mallory, state_key: mallory, content: { membership: 'join' },
    prev_events: [ref(create)], auth_events: [ref(create)], depth: 2,
  });
  const results = await sendPdus(B, A, [create, join]);
  t.type(results[join.event_id]?.error, 'string', `the join on it is refused: ${results[join.event_id]?.error}`);
  const row = A.hs.storage.events.getEvent(create.event_id);
  t.ok(!row || row.rejected_reason, `the second create is rejected (${row?.rejected_reason})`);
  const seen = await visible(alice, roomId);
  assertNoneVisible(t, seen, [create.event_id, join.event_id], 'second create');
  const creates = seen.state.filter((e: any) => e.type === 'm.room.create');
  t.equal(creates.length, 1);
  t.equal(creates[0].content.creator, bob.userId, 'bob is still the creator on A');
  t.notOk(seen.state.some((e: any) => e.state_key === mallory));
  t.equal((await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'hi bob' })).status, 200);
  await waitFor(async () => messageBodies((await bob.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=20`)).body.chunk).includes('hi bob'), 'bob receives alice');
});

t.test('a PDU at depth 2^53-1 no longer wedges the room; depths above the cap, negative or not integers are refused', async (t) => {
  const { A, B, alice, bob, roomId } = await federatedRoom(t, { alias: 'deep' });
  const honest = honestNext(B, { type: 'm.room.message', room_id: roomId, sender: bob.userId!, content: { msgtype: 'm.text', body: 'deep' } });
  const deepest = alter(B, honest, { depth: MAX_DEPTH });
  const negative = alter(B, honest, { depth: -1, content: { msgtype: 'm.text', body: 'negative' } });
  const text = alter(B, honest, { depth: '7', content: { msgtype: 'm.text', body: 'string' } });
  const results = await sendPdus(B, A, [deepest, negative, text]);
  t.same(results[deepest.event_id], {}, 'the largest allowed depth is a valid PDU');
  t.match(results[negative.event_id]?.error, /depth/);
  t.match(results[text.event_id]?.error, /depth/);

  // Above 2^53-1 a number has no canonical JSON: no signature can cover it, so the transaction
  // is refused as a whole before any PDU is looked at.
  const over = JSON.stringify({ origin: B.serverName, origin_server_ts: Date.now(), pdus: [{ ...honest, depth: 1 }] })
    .replace('"depth":1', '"depth":9007199254740993');
  const res = await http(A.url, 'PUT', `${F}/send/over-${Date.now()}/`, {
    rawBody: over, headers: { 'content-type': 'application/json', authorization: `X-Matrix origin=${B.serverName},key="${B.hs.signingKey.keyId}",sig="x"` },
  });
  t.equal(res.status, 400, 'over the cap: refused as a whole');
  t.equal(res.body.errcode, 'M_BAD_JSON');

  // Every local action still works after the deepest event.
  const sent = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/after`, { msgtype: 'm.text', body: 'not wedged' });
  t.equal(sent.status, 200, sent.text);
  t.equal((await alice.put(`/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'still here' })).status, 200);
  const mine = A.hs.storage.events.getEvent(sent.body.event_id)!;
  t.equal(mine.depth, MAX_DEPTH, 'our event after it is capped, not 2^53');
  const seen = await visible(alice, roomId);
  t.ok(messageBodies(seen.timeline).includes('not wedged'));
  assertNoneVisible(t, seen, [negative.event_id, text.event_id], 'bad depth');
  // B (which holds the deep event too) takes our capped event, and bob can still leave.
  await waitFor(async () => messageBodies((await bob.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=20`)).body.chunk).includes('not wedged'), 'bob receives alice');
  t.equal((await bob.post(`/rooms/${enc(roomId)}/leave`, {})).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(roomId, bob.userId!) === 'leave', "bob's leave on A");
});

t.test('event ids must name their origin: a powerless peer user cannot redact others through foreign ids', async (t) => {
  const { A, B, alice, bob, roomId } = await federatedRoom(t, { alias: 'redact' });
  const target = (await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'alice says' })).body.event_id;
  await waitFor(() => B.hs.storage.events.hasEvent(target), "alice's message on B");
  const honest = honestNext(B, { type: 'm.room.message', room_id: roomId, sender: bob.userId!, content: { msgtype: 'm.text', body: 'x' } });
  const redaction = (fields: Record<string, unknown>) =>
    alter(B, honest, { type: 'm.room.redaction', redacts: target, content: {}, ...fields });
  // The attack of the report: a redaction whose own id names A.
  const aDomainId = redaction({ event_id: `$${randomLetters(10)}:${A.serverName}` });
  // The same with an id of B: the own-server rule must look at whose event is redacted.
  const bDomainId = redaction({});
  // Claiming A as origin (and an A id) without A's signature.
  const aOrigin = redaction({ event_id: `$${randomLetters(10)}:${A.serverName}`, origin: A.serverName });
  // A message of bob's with an id in A's name (so that redacting it "by domain" would look local).
  const aNamed = alter(B, honest, { event_id: `$${randomLetters(10)}:${A.serverName}`, content: { msgtype: 'm.text', body: 'named like A' } });
  const results = await sendPdus(B, A, [aDomainId, bDomainId, aOrigin, aNamed]);
  t.match(results[aDomainId.event_id]?.error, /not from the origin/);
  t.match(A.hs.storage.events.getEvent(bDomainId.event_id)?.rejected_reason, /permission to redact/, 'the B-id redaction fails the auth rules');
  t.type(results[aOrigin.event_id]?.error, 'string');
  t.match(results[aNamed.event_id]?.error, /not from the origin/);

  const seen = await visible(alice, roomId);
  assertNoneVisible(t, seen, [aDomainId, bDomainId, aOrigin, aNamed].map((e) => e.event_id), 'forged redaction');
  const original = seen.timeline.find((e: any) => e.event_id === target);
  t.same(original?.content, { msgtype: 'm.text', body: 'alice says' }, "alice's message is intact in /messages");
  const fetched = await alice.get(`/events/${enc(target)}`);
  t.equal(fetched.body.content.body, 'alice says', 'and in /events/{id}');
  t.notOk(fetched.body.redacted_because);

  // Through the client API of B the same redaction is refused too, while redacting one's own works.
  const viaClient = await bob.post(`/rooms/${enc(roomId)}/redact/${enc(target)}`, {});
  t.equal(viaClient.status, 403);
  t.equal(viaClient.body.errcode, 'M_FORBIDDEN');
  const own = (await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/b1`, { msgtype: 'm.text', body: 'oops' })).body.event_id;
  t.equal((await bob.post(`/rooms/${enc(roomId)}/redact/${enc(own)}`, {})).status, 200, 'bob redacts his own message');
  await waitFor(async () => {
    const e = await alice.get(`/events/${enc(own)}`);
    return e.status === 200 && e.body.content?.body === undefined;
  }, "bob's redaction of his own message applied on A");
  t.equal((await alice.get(`/events/${enc(target)}`)).body.content.body, 'alice says', "alice's message still intact");
});

t.test('the same id and create rules hold on send_join and invite', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const { body } = await alice.post('/createRoom', { room_alias_name: 'paths' });
  const roomId: string = body.room_id;
  const carol = `@carol:${B.serverName}`;
  const made = await signedRequest(B, A, 'GET', `${F}/make_join/${enc(roomId)}/${enc(carol)}`);
  t.equal(made.status, 200);
  const template = made.body.event;
  const join = (fields: Record<string, unknown>) =>
    forge(B, { ...template, origin: B.serverName, event_id: `$${randomLetters(10)}:${B.serverName}`, unsigned: undefined, ...fields });
  const cases: [string, Pdu][] = [
    ['an event id in A\'s name', join({ event_id: `$${randomLetters(10)}:${A.serverName}` })],
    ['a negative depth', join({ depth: -5 })],
  ];
  for (const [name, ev] of cases) {
    const res = await signedRequest(B, A, 'PUT', `${F}/send_join/${enc(roomId)}/${enc(ev.event_id)}`, { body: ev });
    t.equal(res.status, 403, `send_join with ${name}: ${res.text.slice(0, 200)}`);
    t.equal(res.body.errcode, 'M_FORBIDDEN');
  }
  t.notOk(A.hs.storage.state.membershipOf(roomId, carol), 'carol is not in the room');

  // An invite for alice whose event id names A (so looks like A's own) is refused.
  const invite = forge(B, {
    type: 'm.room.member', room_id: `!${randomLetters(10)}:${B.serverName}`, sender: `@bob:${B.serverName}`, state_key: alice.userId,
    content: { membership: 'invite' }, depth: 3, event_id: `$${randomLetters(10)}:${A.serverName}`,
  });
  const res = await signedRequest(B, A, 'PUT', `${F}/invite/${enc(invite.room_id)}/${enc(invite.event_id)}`, { body: invite });
  t.equal(res.status, 403, res.text.slice(0, 200));
  t.match(res.body.error, /origin/);
  const sync = await alice.get('/initialSync?limit=10');
  t.notOk(sync.body.rooms.some((r: any) => r.room_id === invite.room_id), 'no invite reaches alice');
  t.equal((await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'fine' })).status, 200);
});

t.test('backfilled history from a hostile peer cannot smuggle in a second create or a join authorised by it', async (t) => {
  const [A, B] = await pairFor(t);
  const bob = await register(B, 'bob');
  const alice = await register(A, 'alice');
  const { body } = await bob.post('/createRoom', { room_alias_name: 'hist' });
  const roomId: string = body.room_id;
  // B's database is the attacker's: a second create by mallory and mallory's join on it, written
  // straight into B's graph (B's own rules would refuse them) and hung on B's forward extremities.
  const mallory = `@mallory:${B.serverName}`;
  const create = forge(B, { type: 'm.room.create', room_id: roomId, sender: mallory, state_key: '', content: { creator: mallory } });
  const join = forge(B, {
    type: 'm.room.member', room_id: roomId, sender: mallory, state_key: mallory, content: { membership: 'join' },
    prev_events: [ref(create)], auth_events: [ref(create)], depth: 2,
  });
  const plant = (ev: Pdu) => B.hs.storage.events.insertEvent({
    event_id: ev.event_id, stream_ordering: null, room_id: roomId, type: ev.type, state_key: ev.state_key ?? null, sender: ev.sender,
    depth: ev.depth, origin_server_ts: ev.origin_server_ts, received_ts: Date.now(), age_ts: Date.now(), json: JSON.stringify(ev),
    outlier: 0, rejected_reason: null, hash_mismatch: 0, state_group_before: null, state_group: null,
  }, ev.prev_events.map((p) => p[0]));
  plant(create);
  plant(join);
  B.hs.storage.events.updateForwardExtremities(roomId, join.event_id, []);
  // Written behind the write path's back: it reloads the room from SQLite, as after a restart.
  B.hs.persister.roomState.delete(roomId);
  const before = (await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/h1`, { msgtype: 'm.text', body: 'history' })).body.event_id;
  t.ok(B.hs.storage.events.prevEventIds(before).includes(join.event_id), "B's next event cites the planted join");

  t.equal((await alice.post(`/join/${enc(`#hist:${B.serverName}`)}`, {})).status, 200);
  // alice pages back past her join: A backfills from B and is handed the planted events.
  await waitFor(async () => messageBodies((await alice.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk).includes('history'), 'backfilled history');
  const seen = await visible(alice, roomId);
  assertNoneVisible(t, seen, [create.event_id, join.event_id], 'planted');
  t.notOk(seen.timeline.some((e: any) => e.sender === mallory || e.state_key === mallory), 'no trace of mallory in /messages');
  const creates = seen.state.filter((e: any) => e.type === 'm.room.create');
  t.equal(creates.length, 1);
  t.equal(creates[0].content.creator, bob.userId);
  for (const ev of [create, join]) {
    const row = A.hs.storage.events.getEvent(ev.event_id);
    t.ok(!row || row.rejected_reason, `${ev.type} not accepted (${row ? row.rejected_reason ?? 'accepted' : 'not stored'})`);
  }
  t.equal((await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'hello bob' })).status, 200);
});
