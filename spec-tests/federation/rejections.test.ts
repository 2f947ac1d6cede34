// Only the room's rules make an inbound PDU "rejected" (issue 13, item 3): a validly signed PDU
// that fails them is stored as rejected and stays hidden, while a fault of ours while judging it
// (here: a stored event we cannot read) is not turned into a rejection: nothing is stored, the
// peer is told the PDU failed, and once the fault is gone the same PDU is accepted.
import t from 'tap';
import type { TestServer } from '../helpers/server.js';
import { enc, register, signedRequest, pairFor, waitFor, messageBodies } from './helpers.js';
import { hashAndSignEvent, type Pdu } from '../../src/events/index.js';
import { randomLetters } from '../../src/random.js';

const F = '/_matrix/federation/v1';

/** `by`'s honest next event in the room (right prev/auth events), with `fields` over it, signed by `by`. */
function next(by: TestServer, roomId: string, member: string, fields: Record<string, unknown>): Pdu {
  const honest = by.hs.persister.buildLocalEvent({ type: 'm.room.message', room_id: roomId, sender: member, content: { msgtype: 'm.text', body: 'x' } });
  const { signatures: _s, unsigned: _u, ...rest } = { ...honest, event_id: `$${Date.now()}${randomLetters(8)}:${by.serverName}`, ...fields } as Pdu;
  return hashAndSignEvent({ ...rest, signatures: {} } as Pdu, by.serverName, by.hs.signingKey);
}

let txn = 0;
async function send(from: TestServer, to: TestServer, pdus: Pdu[]): Promise<Record<string, { error?: string }>> {
  const res = await signedRequest(from, to, 'PUT', `${F}/send/rejections-${++txn}-${Date.now()}/`, {
    body: { origin: from.serverName, origin_server_ts: Date.now(), pdus },
  });
  if (res.status !== 200) throw new Error(`transaction: ${res.status} ${res.text}`);
  return res.body.pdus;
}

t.test('an inbound PDU failing the auth rules is stored rejected; a fault while judging one is not a rejection', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const { body } = await alice.post('/createRoom', { room_alias_name: 'rejections' });
  const roomId: string = body.room_id;
  t.equal((await bob.post(`/join/${enc(`#rejections:${A.serverName}`)}`, {})).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(roomId, bob.userId!) === 'join', 'bob joined on A');

  // 1. The rules: mallory of B never joined, yet B signs a message of hers on the room's graph.
  const mallory = `@mallory:${B.serverName}`;
  const intruder = next(B, roomId, bob.userId!, { sender: mallory, content: { msgtype: 'm.text', body: 'from a non-member' } });
  const first = await send(B, A, [intruder]);
  t.same(first[intruder.event_id], {}, 'the transaction takes it (a rejection is the receiver\'s business)');
  const row = A.hs.storage.events.getEvent(intruder.event_id);
  t.ok(row, 'stored');
  t.match(row?.rejected_reason, /not in room/, 'as rejected, with the rule that refused it');
  const messages = await alice.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
  t.notOk(messageBodies(messages.body.chunk).includes('from a non-member'), 'alice never sees it');
  t.equal((await alice.get(`/events/${enc(intruder.event_id)}`)).status, 404);

  // 2. A fault: the event a redaction targets is stored on A but cannot be read (corrupt JSON).
  // The redaction itself is valid (bob redacts an event named as his own server's).
  const broken = `$broken${randomLetters(8)}:${B.serverName}`;
  A.hs.storage.events.insertEvent({
    event_id: broken, stream_ordering: null, room_id: roomId, type: 'm.room.message', state_key: null,
    sender: bob.userId!, depth: 1, origin_server_ts: Date.now(), received_ts: Date.now(), age_ts: Date.now(),
    json: '{"not json', outlier: 1, rejected_reason: null, hash_mismatch: 0, state_group_before: null, state_group: null,
  }, []);
  const redaction = next(B, roomId, bob.userId!, { type: 'm.room.redaction', redacts: broken, content: {} });
  const failed = await send(B, A, [redaction]);
  t.type(failed[redaction.event_id]?.error, 'string', `the peer is told it failed: ${failed[redaction.event_id]?.error}`);
  t.equal(A.hs.storage.events.getEvent(redaction.event_id), undefined, 'not stored: in particular not as rejected');

  // The fault repaired, the same PDU in a new transaction is judged by the rules, and accepted.
  A.hs.storage.db.prepare('DELETE FROM events WHERE event_id = ?').run(broken);
  const retried = await send(B, A, [redaction]);
  t.same(retried[redaction.event_id], {}, 'accepted on retry');
  const stored = A.hs.storage.events.getEvent(redaction.event_id);
  t.ok(stored, 'stored');
  t.equal(stored?.rejected_reason, null, 'and not rejected');
  await waitFor(async () => (await alice.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk
    .some((e: any) => e.event_id === redaction.event_id), 'alice sees the redaction');
});
