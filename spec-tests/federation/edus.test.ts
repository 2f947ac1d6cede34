// Typing, presence and read receipts cross between two servers as EDUs.
import t from 'tap';
import { enc, pairFor, readEventsUntil, register, waitFor } from './helpers.js';

t.test('typing, presence and receipts of a user on A reach a user on B', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const room = (await alice.post('/createRoom', { room_alias_name: 'edus' })).body.room_id as string;
  t.equal((await bob.post(`/join/${enc(`#edus:${A.serverName}`)}`, {})).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(room, bob.userId!) === 'join', 'the join on A');
  let from = (await bob.get('/initialSync?limit=1')).body.end as string;

  t.equal((await alice.put(`/rooms/${enc(room)}/typing/${enc(alice.userId!)}`, { typing: true, timeout: 10000 })).status, 200);
  const typing = await readEventsUntil(bob, from, (evs) => evs.some((e) => e.type === 'm.typing' && e.content.user_ids.includes(alice.userId)), 'typing from A');
  t.ok(typing.events.find((e) => e.type === 'm.typing')?.room_id === room, 'typing in the shared room');
  from = typing.end;

  await alice.put(`/presence/${enc(alice.userId!)}/status`, { presence: 'unavailable', status_msg: 'away from A' });
  const presence = await readEventsUntil(bob, from, (evs) => evs.some((e) => e.type === 'm.presence' && e.content.user_id === alice.userId && e.content.presence === 'unavailable'), 'presence from A');
  t.equal(presence.events.find((e) => e.type === 'm.presence' && e.content.user_id === alice.userId)?.content.status_msg, 'away from A');
  from = presence.end;

  const msg = (await bob.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'read me' })).body.event_id;
  await waitFor(() => A.hs.storage.events.getEvent(msg), "bob's message on A");
  const r = await alice.req('POST', `/_matrix/client/v2_alpha/rooms/${enc(room)}/receipt/m.read/${enc(msg)}`, {});
  t.equal(r.status, 200);
  const receipts = await readEventsUntil(bob, from, (evs) => evs.some((e) => e.type === 'm.receipt' && e.content[msg]), 'the receipt from A');
  t.ok(receipts.events.find((e) => e.type === 'm.receipt')?.content[msg]['m.read'][alice.userId!], "alice's read receipt on B");
});
