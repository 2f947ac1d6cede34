// Who may write to a room (issue 10, item 9, and redactions across rooms): non-members send
// nothing, m.room.aliases only under the sender's own server, locally and from peers alike.
import t from 'tap';
import { randomLetters } from '../../src/random.js';
import { startServer, Client, enc, type TestServer } from '../helpers/server.js';
import { register, signedRequest, pairFor, waitFor, federatedRoom } from '../federation/helpers.js';
import { hashAndSignEvent, randomString, type Pdu } from '../../src/events/index.js';

async function createRoom(c: Client, body: Record<string, unknown>): Promise<string> {
  const res = await c.post('/createRoom', body);
  if (res.status !== 200) throw new Error(res.text);
  return res.body.room_id;
}

/** Event ids anyone can see in the room, as alice: state, timeline and initialSync. */
async function visibleIds(c: Client, roomId: string): Promise<{ ids: Set<string>; state: any[] }> {
  const state = (await c.get(`/rooms/${enc(roomId)}/state`)).body as any[];
  const timeline = (await c.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=100`)).body.chunk as any[];
  const sync = (await c.get('/initialSync?limit=100')).body.rooms.find((r: any) => r.room_id === roomId);
  const ids = new Set([...state, ...timeline, ...sync.state, ...sync.messages.chunk].map((e: any) => e.event_id as string));
  return { ids, state };
}

t.test('a non-member cannot write state or send anything, m.room.aliases included', async (t) => {
  const server: TestServer = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const mallory = await Client.register(server, 'mallory');
  const bob = await Client.register(server, 'bob');
  const priv = await createRoom(alice, { visibility: 'private' });
  const pub = await createRoom(alice, { visibility: 'public' });
  t.equal((await alice.post(`/rooms/${enc(priv)}/invite`, { user_id: bob.userId })).status, 200);
  const before = await visibleIds(alice, priv);

  for (const roomId of [priv, pub]) {
    const attempts: [string, () => Promise<any>][] = [
      ['aliases under another server', () => mallory.put(`/rooms/${enc(roomId)}/state/m.room.aliases/otherserver`, { aliases: ['#spoof:otherserver'] })],
      ['aliases under our server', () => mallory.put(`/rooms/${enc(roomId)}/state/m.room.aliases/${enc(server.serverName)}`, { aliases: [`#spoof:${server.serverName}`] })],
      ['aliases under the empty key', () => mallory.put(`/rooms/${enc(roomId)}/state/m.room.aliases`, { aliases: ['#spoof:otherserver'] })],
      ['aliases as a message', () => mallory.put(`/rooms/${enc(roomId)}/send/m.room.aliases/1`, { aliases: ['#spoof:otherserver'] })],
      ['topic', () => mallory.put(`/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'owned' })],
      ['custom state', () => mallory.put(`/rooms/${enc(roomId)}/state/org.example.flag/x`, { v: 1 })],
      ['message', () => mallory.put(`/rooms/${enc(roomId)}/send/m.room.message/2`, { msgtype: 'm.text', body: 'hi' })],
      ['custom event', () => mallory.put(`/rooms/${enc(roomId)}/send/org.example.ping/3`, { v: 1 })],
    ];
    for (const [name, attempt] of attempts) {
      const res = await attempt();
      t.equal(res.status, 403, `${name}: ${res.text}`);
      t.equal(res.body.errcode, 'M_FORBIDDEN', name);
    }
  }
  // An invited user is not a member yet either.
  const invited = await bob.put(`/rooms/${enc(priv)}/state/m.room.aliases/otherserver`, { aliases: ['#spoof:otherserver'] });
  t.equal(invited.status, 403);
  t.equal((await bob.put(`/rooms/${enc(priv)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'x' })).status, 403);

  const after = await visibleIds(alice, priv);
  t.same([...after.ids].sort(), [...before.ids].sort(), 'nothing new in /state, /messages or initialSync');
  t.notOk(after.state.some((e: any) => e.type === 'm.room.aliases'), 'no aliases event');
  t.equal((await alice.get(`/rooms/${enc(priv)}/state/m.room.aliases/otherserver`)).status, 404);
  const pubState = (await alice.get(`/rooms/${enc(pub)}/state`)).body as any[];
  t.notOk(pubState.some((e: any) => e.sender === mallory.userId), 'nothing from mallory in the public room');
  t.equal((await alice.put(`/rooms/${enc(priv)}/send/m.room.message/ok`, { msgtype: 'm.text', body: 'still fine' })).status, 200);
});

t.test("a member may publish only its own server's aliases, and only aliases that lead to the room", async (t) => {
  const server: TestServer = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const roomId = await createRoom(alice, { visibility: 'public' });
  const other = await createRoom(alice, { visibility: 'public', room_alias_name: 'elsewhere' });
  t.equal((await bob.post(`/join/${enc(roomId)}`, {})).status, 200);
  const ours = `#real:${server.serverName}`;
  t.equal((await alice.put(`/directory/room/${enc(ours)}`, { room_id: roomId })).status, 200);

  const foreignKey = await bob.put(`/rooms/${enc(roomId)}/state/m.room.aliases/otherserver`, { aliases: ['#spoof:otherserver'] });
  t.equal(foreignKey.status, 403, 'a key other than your own server');
  t.match(foreignKey.body.error, /own server/);
  for (const aliases of [['#spoof:otherserver'], [`#nosuch:${server.serverName}`], [`#elsewhere:${server.serverName}`], ['not an alias'], [7]]) {
    const res = await bob.put(`/rooms/${enc(roomId)}/state/m.room.aliases/${enc(server.serverName)}`, { aliases });
    t.ok(res.status === 403 || res.status === 400, `aliases ${JSON.stringify(aliases)}: ${res.status}`);
    t.type(res.body.errcode, 'string');
  }
  t.same((await alice.get(`/rooms/${enc(roomId)}/state/m.room.aliases/${enc(server.serverName)}`)).body, { aliases: [ours] }, 'unchanged');
  t.equal((await alice.get(`/rooms/${enc(roomId)}/state/m.room.aliases/otherserver`)).status, 404);
  const resend = await bob.put(`/rooms/${enc(roomId)}/state/m.room.aliases/${enc(server.serverName)}`, { aliases: [ours] });
  t.equal(resend.status, 200, 'listing the real aliases is fine (a member at level 0)');
  t.ok(other);
});

t.test('a redaction never reaches into another room, locally or from a peer', async (t) => {
  const [A, B] = await pairFor(t);
  const alice = await register(A, 'alice');
  const carol = await register(A, 'carol');
  const bob = await register(B, 'bob');
  const roomId = await createRoom(alice, { visibility: 'public' });
  const target = (await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/m1`, { msgtype: 'm.text', body: 'keep me' })).body.event_id;

  // carol is 100 in her own room and redacts alice's message "from there".
  const carols = await createRoom(carol, { visibility: 'public' });
  const local = await carol.post(`/rooms/${enc(carols)}/redact/${enc(target)}`, {});
  t.equal(local.status, 404, local.text);
  t.equal(local.body.errcode, 'M_NOT_FOUND');

  // bob (B) owns a room that alice joined; B signs a redaction in it of alice's message elsewhere.
  const bobs = await createRoom(bob, { visibility: 'public', room_alias_name: 'bobs' });
  t.equal((await alice.post(`/join/${enc(`#bobs:${B.serverName}`)}`, {})).status, 200);
  const redaction = B.hs.persister.buildLocalEvent({ type: 'm.room.redaction', room_id: bobs, sender: bob.userId!, content: {}, redacts: target });
  const sent = await signedRequest(B, A, 'PUT', `/_matrix/federation/v1/send/x-${Date.now()}/`, {
    body: { origin: B.serverName, origin_server_ts: Date.now(), pdus: [redaction] },
  });
  t.equal(sent.status, 200);
  t.same(sent.body.pdus[redaction.event_id], {}, 'bob may redact in his room: the event is accepted there');

  const fetched = await alice.get(`/events/${enc(target)}`);
  t.equal(fetched.status, 200);
  t.equal(fetched.body.content.body, 'keep me', "alice's message is not redacted");
  t.notOk(fetched.body.redacted_because);
  const inRoom = (await alice.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk.find((e: any) => e.event_id === target);
  t.equal(inRoom.content.body, 'keep me', 'intact in /messages');
  await waitFor(async () => (await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/m2`, { msgtype: 'm.text', body: 'on' })).status === 200, 'alice sends');
});

t.test("from a peer too: a non-member's aliases and a member's aliases under another server's key are rejected", async (t) => {
  const { A, B, alice, bob, roomId } = await federatedRoom(t, { alias: 'peered', createRoom: { visibility: 'public' } });
  const honest = B.hs.persister.buildLocalEvent({ type: 'm.room.message', room_id: roomId, sender: bob.userId!, content: { msgtype: 'm.text', body: 'x' } });
  const forge = (fields: Record<string, unknown>): Pdu => {
    const { signatures: _s, unsigned: _u, ...rest } = { ...honest, event_id: `$${randomLetters(12)}:${B.serverName}`, type: 'm.room.aliases', ...fields } as Pdu;
    return hashAndSignEvent({ ...rest, signatures: {} } as Pdu, B.serverName, B.hs.signingKey);
  };
  const eve = `@eve:${B.serverName}`;
  const nonMember = forge({ sender: eve, state_key: B.serverName, content: { aliases: [`#spoof:${B.serverName}`] } });
  const otherKey = forge({ state_key: A.serverName, content: { aliases: [`#spoof:${A.serverName}`] } });
  const ownKey = forge({ state_key: B.serverName, content: { aliases: [`#bobs:${B.serverName}`] } });
  const res = await signedRequest(B, A, 'PUT', `/_matrix/federation/v1/send/al-${Date.now()}/`, {
    body: { origin: B.serverName, origin_server_ts: Date.now(), pdus: [nonMember, otherKey, ownKey] },
  });
  t.equal(res.status, 200);
  t.match(A.hs.storage.events.getEvent(nonMember.event_id)?.rejected_reason, /not in room/, 'non-member rejected');
  t.match(A.hs.storage.events.getEvent(otherKey.event_id)?.rejected_reason, /own server/, "another server's key rejected");
  const { ids, state } = await visibleIds(alice, roomId);
  t.notOk(ids.has(nonMember.event_id));
  t.notOk(ids.has(otherKey.event_id));
  t.same(state.find((e: any) => e.type === 'm.room.aliases' && e.state_key === A.serverName)?.content, { aliases: [`#peered:${A.serverName}`] }, "A's aliases untouched");
  t.same(state.find((e: any) => e.type === 'm.room.aliases' && e.state_key === B.serverName)?.content, { aliases: [`#bobs:${B.serverName}`] }, "a member's own server's key is fine");
  t.equal((await alice.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'ok' })).status, 200);
});
