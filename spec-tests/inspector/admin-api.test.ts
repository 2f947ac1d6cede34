import t from 'tap';
import { Client, http, enc, startServer, waitFor } from '../helpers/server.js';
import { FED_CONFIG, signedRequest } from '../federation/helpers.js';
import { hashAndSignEvent, type Pdu } from '../../src/events/index.js';
import { INSPECTOR, startWithAdmin } from './helpers.js';

t.test('inspector endpoints answer 401 without a token and 403 to a user who is not an admin', async (t) => {
  const { server, admin } = await startWithAdmin();
  t.teardown(() => server.close());
  const bob = await Client.register(server, 'bob');
  const { body } = await bob.post('/createRoom', {});
  const roomId: string = body.room_id;
  const sent = await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'private' });
  const eventId: string = sent.body.event_id;
  const paths = [
    ['GET', `${INSPECTOR}/rooms`],
    ['GET', `${INSPECTOR}/rooms/${enc(roomId)}/events`],
    ['GET', `${INSPECTOR}/events/${enc(eventId)}`],
    ['GET', `${INSPECTOR}/events/${enc(eventId)}/json`],
    ['GET', `${INSPECTOR}/federation/inbound`],
    ['POST', `${INSPECTOR}/federation/destinations/localhost:1/retry`],
    ['GET', `${INSPECTOR}/live`],
  ];
  for (const [method, path] of paths) {
    const anon = await http(server.url, method, path, method === 'POST' ? { body: {} } : {});
    t.equal(anon.status, 401, `${method} ${path} without a token`);
    t.equal(anon.body.errcode, 'M_MISSING_TOKEN');
    const forged = await http(server.url, method, path, { token: 'not-a-token', ...(method === 'POST' ? { body: {} } : {}) });
    t.equal(forged.status, 401, `${method} ${path} with an unknown token`);
    const asBob = await http(server.url, method, path, { token: bob.token, ...(method === 'POST' ? { body: {} } : {}) });
    t.equal(asBob.status, 403, `${method} ${path} as a non-admin`);
    t.equal(asBob.body.errcode, 'M_FORBIDDEN');
    t.notMatch(asBob.text, /private/, 'nothing of the room leaks');
  }
  const ok = await admin.get(`${INSPECTOR}/rooms`);
  t.equal(ok.status, 200, 'the admin gets the room list');
  const retry = await admin.post(`${INSPECTOR}/federation/destinations/localhost:1/retry`, {});
  t.equal(retry.status, 200, 'the admin may ask for a retry');
});

t.test('the room list shows aliases, name, members, event count, extremities and last activity', async (t) => {
  const { server, admin } = await startWithAdmin();
  t.teardown(() => server.close());
  const bob = await Client.register(server, 'bob');
  const { body } = await bob.post('/createRoom', { room_alias_name: 'garden', name: 'The <b>garden</b>' });
  const roomId: string = body.room_id;
  const last = await bob.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'hi' });
  const res = await admin.get(`${INSPECTOR}/rooms`);
  t.equal(res.status, 200);
  const room = res.body.rooms.find((r: any) => r.room_id === roomId);
  t.ok(room, 'the room is listed');
  t.same(room.aliases, [`#garden:${server.serverName}`]);
  t.equal(room.name, 'The <b>garden</b>', 'names are data, returned as sent');
  t.equal(room.joined_members, 1);
  t.same(room.forward_extremities, [last.body.event_id], 'the last event is the only forward extremity');
  const timeline = await bob.get(`/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  t.equal(room.event_count, timeline.body.chunk.length, 'event count matches the stored timeline');
  t.type(room.last_activity_ts, 'number');
});

t.test('a room graph page lists events with prev_events and pages back with "before"', async (t) => {
  const { server, admin } = await startWithAdmin();
  t.teardown(() => server.close());
  const { body } = await admin.post('/createRoom', {});
  const roomId: string = body.room_id;
  for (let i = 0; i < 6; i++) await admin.put(`/rooms/${enc(roomId)}/send/m.room.message/m${i}`, { msgtype: 'm.text', body: `m${i}` });
  const all = await admin.get(`${INSPECTOR}/rooms/${enc(roomId)}/events?limit=500`);
  t.equal(all.status, 200);
  t.equal(all.body.before, null, 'everything fits: nothing earlier');
  const events: any[] = all.body.events;
  const ids = new Set(events.map((e) => e.event_id));
  t.equal(ids.size, events.length, 'one entry per event');
  const create = events.find((e) => e.type === 'm.room.create');
  t.same(create.prev_events, [], 'the create event has no parents');
  for (const e of events) if (e !== create) t.ok(e.prev_events.every((p: string) => ids.has(p)), `${e.type} points at stored events`);
  t.ok(events.every((e) => e.rejected === false && e.outlier === false));
  t.ok(events.find((e) => e.type === 'm.room.member').state_key !== null, 'state keys are given');

  const page1 = await admin.get(`${INSPECTOR}/rooms/${enc(roomId)}/events?limit=4`);
  t.equal(page1.body.events.length, 4);
  t.type(page1.body.before, 'number');
  const page2 = await admin.get(`${INSPECTOR}/rooms/${enc(roomId)}/events?limit=500&before=${page1.body.before}`);
  t.same([...page1.body.events, ...page2.body.events].map((e: any) => e.event_id), events.map((e) => e.event_id),
    'the pages join up without gaps or repeats');

  for (const bad of ['limit=0', 'limit=abc', 'limit=100000', 'before=-1', 'before=1e3']) {
    const res = await admin.get(`${INSPECTOR}/rooms/${enc(roomId)}/events?${bad}`);
    t.equal(res.status, 400, `${bad} is refused`);
    t.equal(res.body.errcode, 'M_BAD_JSON');
  }
  const unknown = await admin.get(`${INSPECTOR}/rooms/${enc('!nope:localhost')}/events`);
  t.equal(unknown.status, 404);
  const badId = await admin.get(`${INSPECTOR}/rooms/not-a-room/events`);
  t.equal(badId.status, 400);
});

t.test('one event: the stored JSON byte for byte, its state and its auth chain', async (t) => {
  const { server, admin } = await startWithAdmin();
  t.teardown(() => server.close());
  const { body } = await admin.post('/createRoom', {});
  const roomId: string = body.room_id;
  await admin.put(`/rooms/${enc(roomId)}/state/m.room.topic`, { topic: 'inspection' });
  const sent = await admin.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: '<script>alert(1)</script>' });
  const eventId: string = sent.body.event_id;

  const res = await admin.get(`${INSPECTOR}/events/${enc(eventId)}`);
  t.equal(res.status, 200);
  const ev = res.body;
  const raw = await admin.get(`${INSPECTOR}/events/${enc(eventId)}/json`);
  t.equal(raw.status, 200);
  t.match(raw.headers['content-type'], /^application\/json/);
  t.equal(raw.text, ev.json, 'the raw endpoint gives the same bytes as the detail');
  t.equal(raw.text, server.hs.storage.events.getEvent(eventId)!.json, 'exactly the stored bytes');
  const pdu = JSON.parse(ev.json);
  t.ok(pdu.hashes?.sha256, 'hashes');
  t.ok(pdu.signatures?.[server.serverName], 'signatures');
  t.same(pdu.auth_events.map((a: any) => a[0]).sort(), [...ev.auth_events].sort(), 'auth_events listed');
  t.equal(pdu.content.body, '<script>alert(1)</script>');
  t.equal(ev.rejected_reason, null);
  t.equal(ev.is_forward_extremity, true);

  const topic = ev.state_before.find((s: any) => s.type === 'm.room.topic');
  t.same(topic.content, { topic: 'inspection' }, 'the state at the event holds the topic');
  t.ok(ev.state_before.some((s: any) => s.type === 'm.room.member' && s.state_key === admin.userId));
  const chainTypes = ev.auth_chain.map((a: any) => a.type);
  t.ok(chainTypes.includes('m.room.create') && chainTypes.includes('m.room.power_levels') && chainTypes.includes('m.room.member'),
    'the auth chain reaches create, power levels and the sender\'s membership');
  t.equal(chainTypes[0], 'm.room.create', 'ordered by depth');

  const missing = await admin.get(`${INSPECTOR}/events/${enc('$nope:localhost')}`);
  t.equal(missing.status, 404);
  t.equal(missing.body.errcode, 'M_NOT_FOUND');
});

t.test('the inspector is off when the config says so, and off by default on a non-loopback bind address', async (t) => {
  const off = await startServer({ config: { inspector: { enabled: false } } });
  t.teardown(() => off.close());
  for (const path of ['/_inspector/', `${INSPECTOR}/rooms`]) {
    const res = await http(off.url, 'GET', path);
    t.equal(res.status, 404, `${path} is not served`);
    t.equal(res.body.errcode, 'M_UNRECOGNIZED');
  }
  const { loadConfig } = await import('../../src/config.js');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const path = join(off.dir, 'public.yaml');
  writeFileSync(path, 'server_name: example.org\nbind_address: "0.0.0.0"\n');
  t.equal(loadConfig(path).inspector.enabled, false, 'a public bind address leaves it off');
  writeFileSync(path, 'server_name: example.org\nbind_address: "::1"\n');
  t.equal(loadConfig(path).inspector.enabled, true, 'loopback turns it on');
});

t.test('the page and its script are served from the server itself with a strict CSP', async (t) => {
  const { server } = await startWithAdmin();
  t.teardown(() => server.close());
  const page = await http(server.url, 'GET', '/_inspector/');
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.headers['content-security-policy'], /script-src 'self'/);
  t.match(page.text, /<script defer src="\/_inspector\/app\.js"><\/script>/);
  t.notMatch(page.text, /https?:\/\//, 'nothing loaded from elsewhere');
  const js = await http(server.url, 'GET', '/_inspector/app.js');
  t.equal(js.status, 200);
  t.match(js.headers['content-type'], /^text\/javascript/);
  t.ok(js.text.length > 1000, 'the bundled script');
  t.notMatch(js.text, /\binnerHTML\s*=/, 'the client never assigns markup');
});

t.test('a PDU that fails the auth rules shows as rejected, with the reason, in the inbound transactions and the graph', async (t) => {
  const { server: B, admin } = await startWithAdmin({ federating: true });
  const A = await startServer({ config: FED_CONFIG });
  t.teardown(async () => {
    await A.close();
    await B.close();
  });
  const alice = await Client.register(A, 'alice');
  const { body } = await alice.post('/createRoom', { room_alias_name: 'guarded' });
  const roomId: string = body.room_id;
  t.equal((await admin.post(`/join/${enc(`#guarded:${A.serverName}`)}`, {})).status, 200);
  // Correctly signed by A, but its sender never joined the room.
  const valid = A.hs.persister.buildLocalEvent({ type: 'm.room.message', room_id: roomId, sender: alice.userId!, content: { msgtype: 'm.text', body: 'x' } });
  const intruder = hashAndSignEvent({ ...valid, sender: `@mallory:${A.serverName}`, signatures: {} } as Pdu, A.serverName, A.hs.signingKey);
  const sent = await signedRequest(A, B, 'PUT', `/_matrix/federation/v1/send/intrude1/`, {
    body: { origin: A.serverName, origin_server_ts: Date.now(), pdus: [intruder] },
  });
  t.equal(sent.status, 200);

  const inbound = await admin.get(`${INSPECTOR}/federation/inbound?origin=${enc(A.serverName)}`);
  t.equal(inbound.status, 200);
  const txn = inbound.body.transactions.find((x: any) => x.txn_id === 'intrude1');
  t.ok(txn, 'the transaction is listed under its origin');
  const pdu = txn.pdus.find((p: any) => p.event_id === intruder.event_id);
  t.equal(pdu.accepted, false, 'the PDU is marked rejected');
  t.type(pdu.reason, 'string', 'with the reason');
  t.ok(pdu.reason.length > 0);

  const stored = B.hs.storage.events.getEvent(intruder.event_id)!;
  t.type(stored?.rejected_reason, 'string', 'stored as rejected, as Synapse did');
  {
    const graph = await admin.get(`${INSPECTOR}/rooms/${enc(roomId)}/events`);
    const node = graph.body.events.find((e: any) => e.event_id === intruder.event_id);
    t.equal(node.rejected, true, 'the graph flags it');
    t.equal(node.rejected_reason, stored.rejected_reason);
    const detail = await admin.get(`${INSPECTOR}/events/${enc(intruder.event_id)}`);
    t.equal(detail.body.rejected_reason, stored.rejected_reason, 'the event detail says why');
  }
  const other = await admin.get(`${INSPECTOR}/federation/inbound?origin=${enc('localhost:1')}`);
  t.same(other.body.transactions, [], 'another origin has none');
  const bad = await admin.get(`${INSPECTOR}/federation/inbound?origin=${enc('bad origin/')}`);
  t.equal(bad.status, 400);
});

t.test('the live feed streams new events and queue changes to an admin as server-sent events', async (t) => {
  const { server, admin } = await startWithAdmin();
  t.teardown(() => server.close());
  const roomId = (await admin.post('/createRoom', {})).body.room_id as string;
  const { request } = await import('undici');
  const res = await request(`${server.url}${INSPECTOR}/live`, { headers: { authorization: `Bearer ${admin.token}` } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/event-stream/);
  let text = '';
  const seen = (async () => {
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (/event: event\ndata: .*"\$[^"]+"/.test(text) && text.includes('"m.room.message"')) return;
    }
  })();
  await waitFor(() => text.includes('event: queues'), 'the first queue snapshot');
  const sent = (await admin.put(`/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'live' })).body.event_id;
  await seen;
  const line = text.split('\n').find((l) => l.startsWith('data: ') && l.includes(sent))!;
  const data = JSON.parse(line.slice(6));
  t.same({ room_id: data.room_id, type: data.type, sender: data.sender }, { room_id: roomId, type: 'm.room.message', sender: admin.userId });
  res.body.destroy();
});
