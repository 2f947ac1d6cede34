// Inbound PDUs that are validly signed by their origin (a real server's own key) but fail the
// auth rules: A keeps them out of everything its clients read, does not serve them to other
// servers, does not build on them, and does not pass them on to a third server C in the room.
import t from 'tap';
import type { Client, TestServer } from '../helpers/server.js';
import { enc, federatedRoom, thirdServer, readEventsUntil, messageBodies, type FederatedRoom } from './helpers.js';
import { alter, fetchPdu, honestNext, ref, sendPdus, visible, visibleIds, assertNoneVisible } from './forge.js';
import type { Pdu } from '../../src/events/index.js';

type Room = FederatedRoom & { C: TestServer; carol: Client };

async function threeServerRoom(t: any, alias: string): Promise<Room> {
  const room = await federatedRoom(t, { alias });
  return { ...room, ...(await thirdServer(t, room)) };
}

/** A stream position after everything `c` can already see (and its own coming online). */
async function streamEnd(c: Client): Promise<string> {
  const end = (await c.get('/initialSync?limit=0')).body.end as string;
  return (await c.get(`/events?from=${enc(end)}&timeout=0`)).body.end as string;
}

const bobSays = (room: Room, body: string): Pdu =>
  honestNext(room.B, { type: 'm.room.message', room_id: room.roomId, sender: room.bob.userId!, content: { msgtype: 'm.text', body } });

/**
 * B sends `forged` to A. Then: A's clients see none of it (state, /messages, initialSync, the
 * /events stream, /events/{id}); A serves none of it over federation; alice's next event does not
 * build on it; and C, which hears alice's next message, has none of it either.
 */
async function sendAndCheckHidden(t: any, room: Room, forged: Pdu[], what: string): Promise<void> {
  const { A, B, C, alice, carol, roomId } = room;
  const ids = forged.map((p) => p.event_id);
  const [aliceFrom, carolFrom] = [await streamEnd(alice), await streamEnd(carol)];

  const answers = await sendPdus(B, A, forged);
  // Signatures and hashes hold, so A judges them by the auth rules; like Synapse it stores an
  // event failing them as rejected and answers without an error.
  for (const id of ids) t.same(answers[id], {}, `${what}: ${id} passed the signature checks`);

  const marker = `after the ${what}`;
  const sent = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/${enc(marker)}`, { msgtype: 'm.text', body: marker });
  t.equal(sent.status, 200, `alice sends a marker: ${sent.status === 200 ? 'ok' : sent.text}`);

  // A's clients.
  const seen = await visible(alice, roomId);
  assertNoneVisible(t, seen, ids, `${what} on A`);
  const stream = await readEventsUntil(alice, aliceFrom, (evs) => messageBodies(evs).includes(marker), `the marker in alice's stream`);
  for (const id of ids) {
    t.notOk(stream.events.some((e) => e.event_id === id), `${what}: ${id} is not in alice's /events stream`);
    t.equal((await alice.get(`/events/${enc(id)}`)).status, 404, `${what}: alice cannot fetch ${id}`);
  }

  // A's federation API, and A's own next event.
  for (const id of ids) t.equal(await fetchPdu(C, A, id), null, `${what}: A does not serve ${id} to C`);
  const next = await fetchPdu(C, A, sent.body.event_id);
  t.ok(next, "A serves alice's marker");
  const prevIds = next!.prev_events.map((p) => p[0]);
  for (const id of ids) t.notOk(prevIds.includes(id), `${what}: alice's next event does not build on ${id}`);

  // C heard the marker from A, but nothing of the forged events.
  const carolStream = await readEventsUntil(carol, carolFrom, (evs) => messageBodies(evs).includes(marker), `the marker in carol's stream`);
  const onC = await visible(carol, roomId);
  for (const id of ids) {
    t.notOk(carolStream.events.some((e) => e.event_id === id), `${what}: ${id} is not in carol's stream`);
    t.notOk(visibleIds(onC).has(id), `${what}: ${id} is nowhere carol can read`);
    t.equal(await fetchPdu(A, C, id), null, `${what}: C holds no ${id}`);
  }
}

t.test("a non-member's message and state event, signed by its own server, are rejected, hidden and not relayed", async (t) => {
  const room = await threeServerRoom(t, 'strangers');
  const { B, alice, roomId } = room;
  const mallory = `@mallory:${B.serverName}`; // never joined
  const base = bobSays(room, 'x');
  const message = alter(B, base, { sender: mallory, content: { msgtype: 'm.text', body: 'from outside the room' } });
  const topic = alter(B, base, { sender: mallory, type: 'm.room.topic', state_key: '', content: { topic: 'mallory was here' } });
  await sendAndCheckHidden(t, room, [message, topic], "non-member's events");

  t.notSame((await alice.get(`/rooms/${enc(roomId)}/state/m.room.topic`)).body, { topic: 'mallory was here' }, 'the topic did not change');
  const members = (await alice.get(`/rooms/${enc(roomId)}/members`)).body.chunk.map((m: any) => m.state_key);
  t.notOk(members.includes(mallory), 'mallory is no member');
});

t.test('a power-level escalation by a user without the power is rejected, hidden and not relayed', async (t) => {
  const room = await threeServerRoom(t, 'levels');
  const { B, alice, bob, carol, roomId } = room;
  const before = (await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
  t.notOk((before.users?.[bob.userId!] ?? 0) >= 50, 'bob starts without power');
  const escalate = alter(B, bobSays(room, 'x'), {
    type: 'm.room.power_levels', state_key: '', content: { ...before, users: { ...before.users, [bob.userId!]: 100 } },
  });
  // And, built on the escalation as if it had worked, bob kicking carol.
  const kick = alter(B, escalate, {
    type: 'm.room.member', state_key: carol.userId, content: { membership: 'leave' },
    prev_events: [ref(escalate)], depth: escalate.depth + 1, auth_events: [...escalate.auth_events, ref(escalate)],
  });
  await sendAndCheckHidden(t, room, [escalate, kick], 'escalation');

  t.same((await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body, before, 'power levels unchanged on A');
  t.same((await carol.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body, before, 'and on C');
  t.equal((await alice.get(`/rooms/${enc(roomId)}/state/m.room.member/${enc(carol.userId!)}`)).body.membership, 'join', 'carol still joined');
  const denied = await bob.put(`/rooms/${enc(roomId)}/state/m.room.name`, { name: 'bob rules' });
  t.equal(denied.status, 403, 'B itself refuses bob a state change his level does not allow');
});

t.test('an event from a banned sender, built on the ban, is rejected, hidden and not relayed', async (t) => {
  const room = await threeServerRoom(t, 'banned');
  const { A, B, C, alice, bob, roomId } = room;
  const beforeBan = bobSays(room, 'x'); // bob's auth events while he was joined
  t.equal((await alice.post(`/rooms/${enc(roomId)}/ban`, { user_id: bob.userId, reason: 'spam' })).status, 200);
  const state = (await alice.get(`/rooms/${enc(roomId)}/state`)).body as any[];
  const banId = state.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId)?.event_id as string;
  const ban = await fetchPdu(C, A, banId);
  t.equal(ban?.content.membership, 'ban');
  const message = alter(B, beforeBan, {
    content: { msgtype: 'm.text', body: 'banned but still talking' }, prev_events: [ref(ban!)], depth: ban!.depth + 1,
  });
  const rejoin = alter(B, beforeBan, {
    type: 'm.room.member', state_key: bob.userId, content: { membership: 'join' }, prev_events: [ref(ban!)], depth: ban!.depth + 1,
  });
  await sendAndCheckHidden(t, room, [message, rejoin], "banned sender's events");
  t.equal((await alice.get(`/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId!)}`)).body.membership, 'ban', 'bob is still banned');
});
