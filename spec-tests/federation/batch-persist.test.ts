// A transaction's run of one room's PDUs is stored together (one SQLite transaction, issue 12),
// with exactly the per-PDU semantics of storing them one by one: a PDU failing the rules is stored
// rejected and hidden, the next one built on it is judged by the state before it, a fault of ours
// fails that PDU alone (not stored, not rejected), and the room moves on to the last one.
import t from 'tap';
import { enc, register, pairFor, waitFor, messageBodies } from './helpers.js';
import { alter, honestNext, ref, sendPdus } from './forge.js';
import { randomLetters } from '../../src/random.js';

t.test('a run of PDUs in one transaction: rejected stays rejected and hidden, a fault fails alone, order and extremities hold', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const { body } = await alice.post('/createRoom', { room_alias_name: 'batch' });
  const roomId: string = body.room_id;
  t.equal((await bob.post(`/join/${enc(`#batch:${A.serverName}`)}`, {})).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(roomId, bob.userId!) === 'join', 'bob joined on A');

  // An event A holds but cannot read: a redaction of it is a fault of A's, not a rejection.
  const broken = `$broken${randomLetters(8)}:${B.serverName}`;
  A.hs.storage.events.insertEvent({
    event_id: broken, stream_ordering: null, room_id: roomId, type: 'm.room.message', state_key: null,
    sender: bob.userId!, depth: 1, origin_server_ts: Date.now(), received_ts: Date.now(), age_ts: Date.now(),
    json: '{"not json', outlier: 1, rejected_reason: null, hash_mismatch: 0, state_group_before: null, state_group: null,
  }, []);

  const m1 = honestNext(B, { type: 'm.room.message', room_id: roomId, sender: bob.userId!, content: { msgtype: 'm.text', body: 'one' } });
  const d = m1.depth;
  const m2 = alter(B, m1, { sender: `@mallory:${B.serverName}`, prev_events: [ref(m1)], depth: d + 1, content: { msgtype: 'm.text', body: 'two (non-member)' } });
  const m3 = alter(B, m1, { prev_events: [ref(m2)], depth: d + 2, content: { msgtype: 'm.text', body: 'three' } });
  const rf = alter(B, m1, { type: 'm.room.redaction', redacts: broken, prev_events: [ref(m3)], depth: d + 3, content: {} });
  const m4 = alter(B, m1, { prev_events: [ref(m3)], depth: d + 3, content: { msgtype: 'm.text', body: 'four' } });

  const answers = await sendPdus(B, A, [m1, m2, m3, rf, m4]);
  t.same(answers[m1.event_id], {});
  t.same(answers[m2.event_id], {}, 'a rejection is the receiver\'s business');
  t.same(answers[m3.event_id], {});
  t.type(answers[rf.event_id]?.error, 'string', `the fault is reported for that PDU alone: ${answers[rf.event_id]?.error}`);
  t.same(answers[m4.event_id], {});

  const row = (id: string) => A.hs.storage.events.getEvent(id);
  t.match(row(m2.event_id)?.rejected_reason, /not in room/, 'the non-member\'s message is stored rejected');
  for (const ev of [m1, m3, m4]) t.equal(row(ev.event_id)?.rejected_reason, null, `${(ev.content as { body: string }).body}: stored, not rejected`);
  t.equal(row(rf.event_id), undefined, 'the PDU that hit a fault is not stored (in particular not as rejected)');
  t.ok(row(m1.event_id)!.stream_ordering! < row(m3.event_id)!.stream_ordering! && row(m3.event_id)!.stream_ordering! < row(m4.event_id)!.stream_ordering!, 'stored in order');
  // As when stored one by one: a rejected event never becomes (or consumes) an extremity, so the
  // one it was built on (m1) stays one beside the last one.
  const extremities = A.hs.storage.events.forwardExtremities(roomId);
  t.same([...extremities].sort(), [m1.event_id, m4.event_id].sort(), 'the room moved on to the last one (m1 stays: only a rejected event followed it)');

  const seen = messageBodies((await alice.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk);
  t.notOk(seen.includes('two (non-member)'), 'alice never sees the rejected one');
  t.same(seen.filter((b: string) => ['one', 'three', 'four'].includes(b)), ['four', 'three', 'one'], 'and sees the others in order');

  // A's next event follows the batch's last one.
  const sent = await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/after-batch`, { msgtype: 'm.text', body: 'after' });
  t.equal(sent.status, 200);
  const after = A.hs.persister.loader.pdu(sent.body.event_id);
  t.same(after?.prev_events.map((p) => p[0]).sort(), [m1.event_id, m4.event_id].sort(), 'A\'s next event follows the extremities');
});
