import t from 'tap';
import { enc, register, signedRequest, pairFor, waitFor, federatedRoom } from './helpers.js';

t.test('an event with unknown prev_events is completed with get_missing_events, then /state for what is still missing', async (t) => {
  const { A, B, alice, bob, roomId } = await federatedRoom(t, { alias: 'gaps' });
  // The join exchanges presence both ways; let that settle, since B talking to A ends A's backoff.
  await waitFor(() => A.hs.storage.presence.get(bob.userId!) && B.hs.storage.presence.get(alice.userId!), 'presence exchanged on join');
  // ...and answered: a transaction still in flight either way would end the backoff set below.
  const idle = (x: typeof A, y: typeof B) =>
    x.hs.storage.federation.queueDepth(y.serverName) === 0 && !x.hs.storage.federation.destination(y.serverName).pending_txn_id;
  await waitFor(() => idle(A, B) && idle(B, A), 'both queues drained');

  // Nothing in flight to B either: acknowledging a transaction clears the backoff set below.
  await waitFor(() => A.hs.storage.federation.queueDepth(B.serverName) === 0, 'nothing queued for B');
  // A writes 12 messages whose deliveries to B are lost; B is then handed only the last one.
  A.hs.storage.federation.setRetry(B.serverName, Date.now(), 3_600_000);
  const ids: string[] = [];
  for (let i = 1; i <= 12; i++) {
    ids.push((await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/g${i}`, { msgtype: 'm.text', body: `gap ${i}` })).body.event_id);
  }
  A.hs.storage.federation.acknowledge(B.serverName, Number.MAX_SAFE_INTEGER);
  const graph = A.hs.federation!.graph;
  const last = graph.renderPdu(A.hs.storage.events.getEvent(ids[11]!)!, Date.now());
  const res = await signedRequest(A, B, 'PUT', '/_matrix/federation/v1/send/gap-1/', {
    rawBody: `{"origin":${JSON.stringify(A.serverName)},"origin_server_ts":${Date.now()},"pdus":[${last}],"pdu_failures":[]}`,
  });
  t.same(res.body, { pdus: { [ids[11]!]: {} } });
  const onB = (id: string) => {
    const row = B.hs.storage.events.getEvent(id);
    return row !== undefined && !row.outlier && !row.rejected_reason;
  };
  t.ok(ids.slice(1).every(onB), 'the ten events before it came from get_missing_events');
  t.notOk(B.hs.storage.events.hasEvent(ids[0]!), 'the eleventh-last was beyond its limit');
  t.ok(B.hs.storage.events.backwardExtremities(roomId).includes(ids[0]!), 'and is remembered as a gap in the history');
  t.equal(B.hs.storage.state.membershipOf(roomId, alice.userId!), 'join', 'state fetched with /state keeps the room intact');

  // Backfill (what /messages does at the start of our copy of a room) fills the gap.
  t.ok((await B.hs.federation!.backfill(roomId, 10)) >= 1);
  t.ok(onB(ids[0]!), 'the lost event is back');
  t.notOk(B.hs.storage.events.backwardExtremities(roomId).includes(ids[0]!), 'no longer a gap');
});

t.test('a withdrawn invite reaches the invitee even though its server may not read the room', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const { body } = await alice.post('/createRoom', { visibility: 'private' });
  const roomId: string = body.room_id;
  t.equal((await alice.post(`/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status, 200);
  t.equal(B.hs.storage.state.membershipOf(roomId, bob.userId!), 'invite');
  await alice.put(`/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'B has not seen this' });
  t.equal((await alice.post(`/rooms/${enc(roomId)}/kick`, { user_id: bob.userId })).status, 200);
  await waitFor(() => B.hs.storage.state.membershipOf(roomId, bob.userId!) === 'leave', 'the withdrawn invite on B');
  t.equal((await bob.post(`/join/${enc(roomId)}`, {})).status, 403, 'bob can no longer join');
});
