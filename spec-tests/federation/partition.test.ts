// A network partition between two servers of a room, with state changed on both sides while it
// lasts: once healed and merged, both servers report the same current state for every key.
import t from 'tap';
import type { Client } from '../helpers/server.js';
import { enc, waitFor } from './helpers.js';
import { fetchPdu } from './forge.js';
import { partitionableRoom } from './partition.js';

/** The room's current state as a client of one server sees it: "type|state_key" -> event. */
async function stateOf(c: Client, roomId: string): Promise<Map<string, any>> {
  const res = await c.get(`/rooms/${enc(roomId)}/state`);
  if (res.status !== 200) throw new Error(`state: ${res.status} ${res.text}`);
  return new Map((res.body as any[]).map((e) => [`${e.type}|${e.state_key}`, e]));
}

const summary = (state: Map<string, any>) =>
  Object.fromEntries([...state].sort(([a], [b]) => a.localeCompare(b)).map(([k, e]) => [k, { event_id: e.event_id, content: e.content }]));

async function seesEvent(c: Client, eventId: string): Promise<boolean> {
  return (await c.get(`/events/${enc(eventId)}`)).status === 200;
}

t.test('state changed on both sides of a partition converges to the same state on both servers once healed', async (t) => {
  const room = await partitionableRoom(t, { alias: 'split', createRoom: { name: 'Before', topic: 'before' } });
  const { A, B, alice, bob, roomId } = room;
  const put = (c: Client, type: string, content: unknown) => c.put(`/rooms/${enc(roomId)}/state/${type}`, content);

  // bob gets full power, so both sides may change everything.
  const pl = (await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
  const users = { ...pl.users, [bob.userId!]: 100 };
  t.equal((await put(alice, 'm.room.power_levels', { ...pl, users })).status, 200);
  await waitFor(async () => (await bob.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body?.users?.[bob.userId!] === 100, 'bob at 100 on B');
  t.same(summary(await stateOf(alice, roomId)), summary(await stateOf(bob, roomId)), 'the same state before the partition');

  room.partition();
  const onA = [
    await put(alice, 'm.room.name', { name: 'Named on A' }),
    await put(alice, 'm.room.topic', { topic: 'Topic on A' }),
    await put(alice, 'm.room.power_levels', { ...pl, users, ban: 60 }),
    await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/pa`, { msgtype: 'm.text', body: 'alone on A' }),
  ];
  const onB = [
    await put(bob, 'm.room.topic', { topic: 'Topic on B' }),
    await put(bob, 'm.room.power_levels', { ...pl, users, kick: 70 }),
    await put(bob, 'm.room.name', { name: 'Named on B' }),
    await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/pb`, { msgtype: 'm.text', body: 'alone on B' }),
  ];
  t.same([...onA, ...onB].map((r) => r.status), Array(8).fill(200), 'both sides write while partitioned');
  t.equal((await alice.get(`/rooms/${enc(roomId)}/state/m.room.name`)).body.name, 'Named on A', "A sees its own name");
  t.equal((await bob.get(`/rooms/${enc(roomId)}/state/m.room.name`)).body.name, 'Named on B', "B sees its own name");
  t.notOk(await seesEvent(alice, onB[0]!.body.event_id), 'nothing crossed the partition');

  room.heal();
  const lastOfB = onB[3]!.body.event_id as string;
  const lastOfA = onA[3]!.body.event_id as string;
  await waitFor(() => seesEvent(alice, lastOfB), "B's side on A after the heal");
  // A's next event follows both sides: the graphs merge.
  const mergeA = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/ma`, { msgtype: 'm.text', body: 'merge from A' });
  t.equal(mergeA.status, 200);
  const merged = await fetchPdu(B, A, mergeA.body.event_id);
  t.same(merged!.prev_events.map((p) => p[0]).sort(), [lastOfA, lastOfB].sort(), "A's next event has both sides' last events as prev_events");
  await waitFor(() => seesEvent(bob, mergeA.body.event_id), "A's merge on B");
  t.ok(await seesEvent(bob, lastOfA), "A's side reached B");
  const mergeB = await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/mb`, { msgtype: 'm.text', body: 'merge from B' });
  t.equal(mergeB.status, 200);
  await waitFor(() => seesEvent(alice, mergeB.body.event_id), "B's merge on A");

  const [stateA, stateB] = [await stateOf(alice, roomId), await stateOf(bob, roomId)];
  t.same(summary(stateA), summary(stateB), 'A and B report the same current state, key by key');
  for (const key of ['m.room.name|', 'm.room.topic|', 'm.room.power_levels|']) {
    t.ok(stateA.has(key), `${key} is set`);
  }
  t.ok(['Named on A', 'Named on B'].includes(stateA.get('m.room.name|')?.content.name), `one side's name won: ${stateA.get('m.room.name|')?.content.name}`);
  // Single-key reads agree with the full state.
  for (const [type, c] of [['m.room.name', alice], ['m.room.name', bob], ['m.room.topic', alice], ['m.room.topic', bob]] as const) {
    t.same((await c.get(`/rooms/${enc(roomId)}/state/${type}`)).body, stateA.get(`${type}|`)?.content, `${type} on ${c === alice ? 'A' : 'B'}`);
  }
});

t.test('a demotion on one side of a partition and state changes by the demoted user on the other converge the same way on both servers', async (t) => {
  const room = await partitionableRoom(t, { alias: 'demote', createRoom: { name: 'Before' } });
  const { alice, bob, roomId } = room;
  const put = (c: Client, type: string, content: unknown) => c.put(`/rooms/${enc(roomId)}/state/${type}`, content);
  const pl = (await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body;
  t.equal((await put(alice, 'm.room.power_levels', { ...pl, users: { ...pl.users, [bob.userId!]: 50 } })).status, 200);
  await waitFor(async () => (await bob.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`)).body?.users?.[bob.userId!] === 50, 'bob at 50 on B');

  room.partition();
  const demote = await put(alice, 'm.room.power_levels', { ...pl, users: { ...pl.users, [bob.userId!]: 0 } });
  const byBob = [
    await put(bob, 'm.room.name', { name: 'Named by bob' }),
    await put(bob, 'm.room.topic', { topic: 'Topic by bob' }),
  ];
  t.same([demote, ...byBob].map((r) => r.status), [200, 200, 200], 'both sides write while partitioned');

  room.heal();
  await waitFor(() => seesEvent(alice, byBob[1]!.body.event_id), "bob's changes on A");
  await waitFor(() => seesEvent(bob, demote.body.event_id), 'the demotion on B');
  const mergeA = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/ma`, { msgtype: 'm.text', body: 'merge from A' });
  t.equal(mergeA.status, 200);
  await waitFor(() => seesEvent(bob, mergeA.body.event_id), "A's merge on B");

  const [stateA, stateB] = [await stateOf(alice, roomId), await stateOf(bob, roomId)];
  t.same(summary(stateA), summary(stateB), 'A and B report the same current state, key by key');
  t.equal(stateA.get('m.room.power_levels|')?.content.users[bob.userId!] ?? 0, 0, 'bob is demoted on both');
  const after = await bob.put(`/rooms/${enc(roomId)}/state/m.room.name`, { name: 'after the merge' });
  t.equal(after.status, 403, 'B applies the demotion to bob');
});
