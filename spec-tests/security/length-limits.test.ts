// Free text is bounded: displayname 256 and avatar_url 1000 characters (Synapse's profile limits),
// status_msg 1000, and every room event 65,536 bytes (name, topic, messages, member events).
// An over-long value answers 4xx {errcode, error} and changes nothing; a peer's over-long
// presence or profile is not taken.
import t from 'tap';
import { createServer } from 'node:http';
import { Client, enc, startServer } from '../helpers/server.js';
import { FED_CONFIG, signedRequest, waitFor } from '../federation/helpers.js';
import { hashAndSignEvent, type Pdu } from '../../src/events/index.js';

const HUGE = 'x'.repeat(5 * 1024 * 1024);
const OVER_EVENT = 'y'.repeat(70_000);

function refused(t: { ok(v: unknown, m: string): unknown }, r: { status: number; body: any }, what: string, statuses = [400, 413]): void {
  t.ok(statuses.includes(r.status) && typeof r.body?.errcode === 'string' && typeof r.body?.error === 'string', `${what} is refused (${r.status} ${r.body?.errcode})`);
}

t.test('5 MB displayname, avatar_url, status_msg, topic, name and message answer 4xx and change nothing', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const room = (await alice.post('/createRoom', { visibility: 'public', name: 'Lounge', topic: 'chat' })).body.room_id as string;
  await bob.post(`/join/${enc(room)}`);
  await alice.put(`/profile/${enc(alice.userId!)}/displayname`, { displayname: 'Alice' });
  await alice.put(`/presence/${enc(alice.userId!)}/status`, { presence: 'online', status_msg: 'hello' });
  const before = (await bob.get('/initialSync?limit=50')).body;
  const end = before.end as string;

  for (const [path, body, what] of [
    [`/profile/${enc(alice.userId!)}/displayname`, { displayname: HUGE }, 'a 5 MB displayname'],
    [`/profile/${enc(alice.userId!)}/displayname`, { displayname: 'd'.repeat(257) }, 'a 257-character displayname'],
    [`/profile/${enc(alice.userId!)}/avatar_url`, { avatar_url: `mxc://x/${HUGE}` }, 'a 5 MB avatar_url'],
    [`/profile/${enc(alice.userId!)}/avatar_url`, { avatar_url: `mxc://x/${'a'.repeat(1000)}` }, 'a 1,008-character avatar_url'],
    [`/presence/${enc(alice.userId!)}/status`, { presence: 'online', status_msg: HUGE }, 'a 5 MB status_msg'],
    [`/presence/${enc(alice.userId!)}/status`, { presence: 'online', status_msg: 's'.repeat(1001) }, 'a 1,001-character status_msg'],
    [`/rooms/${enc(room)}/state/m.room.topic`, { topic: HUGE }, 'a 5 MB topic'],
    [`/rooms/${enc(room)}/state/m.room.name`, { name: OVER_EVENT }, 'a 70 KB room name'],
    [`/rooms/${enc(room)}/send/m.room.message/huge1`, { msgtype: 'm.text', body: OVER_EVENT }, 'a 70 KB message'],
  ] as const) {
    const r = await alice.put(path, body);
    if (r.status === 400) t.ok(['M_TOO_LARGE', 'M_INVALID_PARAM'].includes(r.body.errcode), `${what}: 400 ${r.body.errcode}`);
    refused(t, r, what);
  }
  refused(t, await alice.post('/createRoom', { topic: HUGE }), 'createRoom with a 5 MB topic');
  refused(t, await alice.put('/pushrules/global/content/big', { pattern: OVER_EVENT, actions: ['notify'] }), 'a 70 KB push rule pattern');
  refused(t, await alice.put(`/pushrules/global/room/${'r'.repeat(300)}`, { actions: ['notify'] }), 'a 300-character push rule id');
  refused(t, await alice.put(`/directory/room/${enc(`#big:${server.serverName}`)}`, { room_id: room, servers: [HUGE] }), 'an alias with a 5 MB server name');
  refused(t, await alice.put(`/directory/room/${enc(`#many:${server.serverName}`)}`, { room_id: room, servers: Array.from({ length: 1000 }, (_, i) => `s${i}.example`) }),
    'an alias with 1,000 servers');

  // Nothing changed: profile, presence, room state, timeline, the stream.
  t.same((await bob.get(`/profile/${enc(alice.userId!)}`)).body, { displayname: 'Alice', avatar_url: null });
  t.same((await alice.get('/pushrules/global/content/')).body.map((r: any) => r.rule_id), ['.m.rule.contains_user_name'], 'no push rule stored');
  t.equal((await alice.get(`/directory/room/${enc(`#big:${server.serverName}`)}`)).status, 404, 'no alias stored');
  const status = await bob.get(`/presence/${enc(alice.userId!)}/status`);
  t.equal(status.body.status_msg, 'hello');
  t.same((await bob.get(`/rooms/${enc(room)}/state/m.room.topic`)).body, { topic: 'chat' });
  t.same((await bob.get(`/rooms/${enc(room)}/state/m.room.name`)).body, { name: 'Lounge' });
  t.same((await bob.get(`/rooms/${enc(room)}/state/m.room.member/${enc(alice.userId!)}`)).body.displayname, 'Alice');
  const stream = await bob.get(`/events?from=${enc(end)}&timeout=0`);
  t.equal(stream.status, 200);
  const others = stream.body.chunk.filter((e: any) => !(e.type === 'm.presence' && e.content.user_id === bob.userId));
  t.same(others, [], "nothing new in the stream (but bob's own presence)");
  t.ok(stream.text.length < 10_000, 'and nothing large');
  const after = await bob.get('/initialSync?limit=50');
  t.ok(after.text.length < 50_000, `initialSync stays small (${after.text.length} bytes)`);

  // The bounds themselves are accepted, and a profile change still updates the member events.
  t.equal((await alice.put(`/profile/${enc(alice.userId!)}/displayname`, { displayname: 'd'.repeat(256) })).status, 200, '256 characters');
  t.equal((await alice.put(`/profile/${enc(alice.userId!)}/avatar_url`, { avatar_url: `mxc://x/${'a'.repeat(992)}` })).status, 200, '1,000 characters');
  t.equal((await alice.put(`/presence/${enc(alice.userId!)}/status`, { presence: 'online', status_msg: '\u{1F600}'.repeat(1000) })).status, 200,
    '1,000 characters outside the BMP (counted as characters, not UTF-16 units)');
  const member = (await bob.get(`/rooms/${enc(room)}/state/m.room.member/${enc(alice.userId!)}`)).body;
  t.equal(member.displayname, 'd'.repeat(256), 'the member event carries the new displayname');
  t.equal(member.avatar_url, `mxc://x/${'a'.repeat(992)}`);
});

t.test("a peer's over-long presence and profile are not taken", async (t) => {
  const [A, B] = await Promise.all([startServer({ config: FED_CONFIG }), startServer({ config: FED_CONFIG })]);
  t.teardown(async () => {
    await B.close();
    await A.close();
  });
  const alice = await Client.register(A, 'alice');
  const bob = await Client.register(B, 'bob');
  const room = (await alice.post('/createRoom', { room_alias_name: 'big' })).body.room_id as string;
  t.equal((await bob.post(`/join/${enc(`#big:${A.serverName}`)}`)).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(room, bob.userId!) === 'join', "bob's join on A");

  const push = (status_msg: string) => ({
    origin: B.serverName, origin_server_ts: Date.now(), pdus: [],
    edus: [{ edu_type: 'm.presence', content: { push: [{ user_id: bob.userId, presence: 'online', last_active_ago: 0, status_msg }] } }],
  });
  t.equal((await signedRequest(B, A, 'PUT', '/_matrix/federation/v1/send/big-1/', { body: push('z'.repeat(1_000_000)) })).status, 200);
  // B's own presence exchange after the join may land at any time; the 1 MB push must not.
  const after = A.hs.storage.presence.get(bob.userId!);
  t.ok(after?.state !== 'online' && (after?.status_msg ?? '').length < 1000, 'a 1 MB status_msg from the peer is dropped');
  t.equal((await signedRequest(B, A, 'PUT', '/_matrix/federation/v1/send/big-2/', { body: push('back soon') })).status, 200);
  t.equal(A.hs.storage.presence.get(bob.userId!)?.status_msg, 'back soon', 'a normal one is taken');

  // A peer that does not bound its users' profiles: its answer is not passed on.
  B.hs.storage.users.setDisplayname(bob.userId!, 'b'.repeat(100_000));
  const profile = await alice.get(`/profile/${enc(bob.userId!)}`);
  t.equal(profile.status, 200);
  t.equal(profile.body.displayname, null, "the peer's 100 KB displayname is not served");
});

t.test("a peer's event over 65,536 bytes is refused and not stored; one just under is accepted", async (t) => {
  const [A, B] = await Promise.all([startServer({ config: FED_CONFIG }), startServer({ config: FED_CONFIG })]);
  t.teardown(async () => {
    await B.close();
    await A.close();
  });
  const alice = await Client.register(A, 'alice');
  const bob = await Client.register(B, 'bob');
  const room = (await alice.post('/createRoom', { room_alias_name: 'pdu' })).body.room_id as string;
  t.equal((await bob.post(`/join/${enc(`#pdu:${A.serverName}`)}`)).status, 200);
  await waitFor(() => A.hs.storage.state.membershipOf(room, bob.userId!) === 'join', "bob's join on A");
  await waitFor(() => B.hs.storage.state.membershipOf(room, bob.userId!) === 'join', "bob's join on B");

  // B's server signs what it likes: an event from bob whose content it grows past the limit.
  const withBody = (body: string): Pdu => {
    const base = B.hs.persister.buildLocalEvent({ type: 'm.room.message', room_id: room, sender: bob.userId!, content: { msgtype: 'm.text', body: 'x' } });
    return hashAndSignEvent({ ...base, content: { msgtype: 'm.text', body }, signatures: {} } as Pdu, B.serverName, B.hs.signingKey);
  };
  const big = withBody('b'.repeat(70_000));
  const small = withBody('s'.repeat(60_000));
  const res = await signedRequest(B, A, 'PUT', '/_matrix/federation/v1/send/pdu-1/', {
    body: { origin: B.serverName, origin_server_ts: Date.now(), pdus: [big, small] },
  });
  t.equal(res.status, 200);
  t.match(res.body.pdus[big.event_id]?.error, /too large/, 'the 70 KB event is refused');
  t.same(res.body.pdus[small.event_id], {}, 'the 60 KB event is accepted');
  t.notOk(A.hs.storage.events.hasEvent(big.event_id), 'the refused event is not stored, not even as rejected');
  t.equal((await alice.get(`/events/${enc(big.event_id)}`)).status, 404);
  t.equal((await alice.get(`/events/${enc(small.event_id)}`)).status, 200);
});

t.test("a peer's directory answer is bounded: at most 100 well-formed server names are passed on", async (t) => {
  const A = await startServer({ config: FED_CONFIG });
  // A peer that answers every directory query with thousands of servers, most of them junk.
  const peer = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (!req.url?.startsWith('/_matrix/federation/v1/query/directory')) return void res.writeHead(404).end('{"errcode":"M_NOT_FOUND","error":"no"}');
    const servers = [...Array.from({ length: 2000 }, (_, i) => `s${i}.example.org`), 'x'.repeat(100_000), 'bad/name', '127.0.0.1:99999999'];
    res.end(JSON.stringify({ room_id: `!r:localhost:${port}`, servers }));
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const port = (peer.address() as { port: number }).port;
  t.teardown(async () => {
    peer.close();
    await A.close();
  });
  const alice = await Client.register(A, 'alice');
  const res = await alice.get(`/directory/room/${enc(`#big:localhost:${port}`)}`);
  t.equal(res.status, 200);
  t.equal(res.body.room_id, `!r:localhost:${port}`);
  t.ok(res.body.servers.length <= 101, `${res.body.servers.length} servers passed on`);
  t.ok(res.body.servers.every((s: string) => s.length < 100 && !s.includes('/')), 'all of them well-formed');
});
