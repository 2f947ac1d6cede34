// What every client touches besides rooms: push rules, pushers, TURN; and the HTTP habits of the
// era's clients (curl without Content-Type, CORS from browsers, bad JSON) and rate limiting.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { startServer, http, Client, enc, type TestServer } from '../helpers/server.js';

const V1 = '/_matrix/client/api/v1';
let server: TestServer;
let alice: Client;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
});
t.teardown(() => server.close());

t.test('GET /pushrules/ returns the default rule set a starting client expects', async (t) => {
  const res = await alice.get('/pushrules/');
  t.equal(res.status, 200);
  t.same(Object.keys(res.body.global).sort(), ['content', 'override', 'room', 'sender', 'underride']);
  t.same(res.body.device, {});
  const { override, content, underride } = res.body.global;
  const master = override.find((r: any) => r.rule_id === '.m.rule.master');
  t.equal(master.enabled, false, 'the master rule is off');
  t.same(master.actions, ['dont_notify']);
  const username = content.find((r: any) => r.rule_id === '.m.rule.contains_user_name');
  t.equal(username.pattern, 'alice');
  t.ok(username.actions.includes('notify'));
  const ids = underride.map((r: any) => r.rule_id);
  for (const id of ['.m.rule.call', '.m.rule.contains_display_name', '.m.rule.room_one_to_one', '.m.rule.invite_for_me', '.m.rule.message']) {
    t.ok(ids.includes(id), id);
  }
  const invite = underride.find((r: any) => r.rule_id === '.m.rule.invite_for_me');
  t.same(invite.conditions.find((c: any) => c.key === 'state_key'), { kind: 'event_match', key: 'state_key', pattern: alice.userId });
  for (const kind of ['override', 'content', 'underride']) {
    for (const r of res.body.global[kind]) t.equal(r.default, true, `${kind} ${r.rule_id} is a default rule`);
  }
});

t.test('push rules answer with and without the trailing slash, and for the global scope', async (t) => {
  const slash = await alice.get('/pushrules/');
  t.same((await alice.get('/pushrules')).body, slash.body);
  const global = await alice.get('/pushrules/global/');
  t.equal(global.status, 200);
  t.same(global.body, slash.body.global);
  const missing = await http(server.url, 'GET', `${V1}/pushrules/`);
  t.equal(missing.status, 401);
  t.equal(missing.body.errcode, 'M_MISSING_TOKEN');
});

t.test("a user's own rules are merged into the defaults in order, and are theirs alone", async (t) => {
  const u = await Client.register(server, 'pushy');
  const R = '/pushrules/global';
  t.equal((await u.put(`${R}/content/cats`, { pattern: 'cats', actions: ['notify'] })).status, 200);
  t.equal((await u.put(`${R}/content/dogs?before=cats`, { pattern: 'dogs', actions: ['notify', { set_tweak: 'sound', value: 'bark' }] })).status, 200);
  t.equal((await u.put(`${R}/content/fish?after=cats`, { pattern: 'fish', actions: ['dont_notify'] })).status, 200);
  const rules = { conditions: [{ kind: 'event_match', key: 'type', pattern: 'org.example.alert' }], actions: ['notify'] };
  t.equal((await u.put(`${R}/override/alerts`, rules)).status, 200);
  t.equal((await u.put(`${R}/room/${enc('!quiet:example.org')}`, { actions: ['dont_notify'] })).status, 200);

  const all = (await u.get('/pushrules/')).body.global;
  t.same(all.content.map((r: any) => r.rule_id), ['dogs', 'cats', 'fish', '.m.rule.contains_user_name'], 'own content rules come first, in order');
  t.same(all.content[0], { rule_id: 'dogs', pattern: 'dogs', actions: ['notify', { set_tweak: 'sound', value: 'bark' }], default: false, enabled: true });
  t.same(all.override.map((r: any) => r.rule_id), ['.m.rule.master', 'alerts', '.m.rule.suppress_notices'], 'after master, before the other defaults');
  t.same(all.room, [{ rule_id: '!quiet:example.org', actions: ['dont_notify'], default: false, enabled: true }]);
  t.same((await u.get(`${R}/content/cats`)).body, { rule_id: 'cats', pattern: 'cats', actions: ['notify'], default: false, enabled: true });
  t.same((await u.get(`${R}/content/`)).body.length, 4);

  t.equal((await u.put(`${R}/content/cats`, { pattern: 'kittens', actions: ['notify'] })).status, 200, 'PUT again replaces');
  t.equal((await u.get(`${R}/content/cats`)).body.pattern, 'kittens');
  t.equal((await u.del(`${R}/content/dogs`)).status, 200);
  t.same((await u.get(`${R}/content/`)).body.map((r: any) => r.rule_id), ['cats', 'fish', '.m.rule.contains_user_name']);
  t.equal((await u.get(`${R}/content/dogs`)).status, 404);
  t.same((await alice.get('/pushrules/')).body.global.content.map((r: any) => r.rule_id), ['.m.rule.contains_user_name'], 'other users are unaffected');
});

t.test('rules are enabled and disabled, defaults included; actions of own rules can change', async (t) => {
  const u = await Client.register(server, 'toggler');
  const R = '/pushrules/global';
  t.same((await u.get(`${R}/override/.m.rule.master/enabled`)).body, { enabled: false });
  t.equal((await u.put(`${R}/override/.m.rule.master/enabled`, true)).status, 200, 'a bare boolean, as js-sdk sends it');
  t.same((await u.get(`${R}/override/.m.rule.master/enabled`)).body, { enabled: true });
  t.equal((await u.put(`${R}/underride/.m.rule.message/enabled`, { enabled: false })).status, 200, 'or an object');
  const underride = (await u.get(`${R}/underride/`)).body;
  t.equal(underride.find((r: any) => r.rule_id === '.m.rule.message').enabled, false);
  await u.put(`${R}/sender/${enc('@spammer:example.org')}`, { actions: ['dont_notify'] });
  t.equal((await u.put(`${R}/sender/${enc('@spammer:example.org')}/actions`, { actions: ['notify'] })).status, 200);
  t.same((await u.get(`${R}/sender/${enc('@spammer:example.org')}/actions`)).body, { actions: ['notify'] });
  t.equal((await u.put(`${R}/underride/.m.rule.message/actions`, { actions: ['notify'] })).status, 400, 'default actions are fixed');
  t.equal((await u.put(`${R}/override/nonexistent/enabled`, true)).status, 404);
  t.equal((await u.put(`${R}/override/.m.rule.master/enabled`, 'yes')).status, 400);
});

t.test('bad push rule requests are refused with 4xx and store nothing', async (t) => {
  const u = await Client.register(server, 'careless');
  const R = '/pushrules/global';
  const cases: [string, unknown][] = [
    [`${R}/content/x`, { actions: ['notify'] }],
    [`${R}/override/x`, { actions: ['notify'] }],
    [`${R}/override/x`, { conditions: [], actions: ['sing'] }],
    [`${R}/underride/x`, { conditions: [{}], actions: ['notify'] }],
    [`${R}/content/.m.rule.mine`, { pattern: 'x', actions: ['notify'] }],
    [`${R}/content/x?before=missing`, { pattern: 'x', actions: ['notify'] }],
    [`${R}/colour/x`, { actions: ['notify'] }],
    ['/pushrules/device/content/x', { pattern: 'x', actions: ['notify'] }],
  ];
  for (const [path, body] of cases) {
    const res = await u.put(path, body);
    t.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
    t.type(res.body.errcode, 'string');
  }
  t.equal(server.hs.storage.pushRules.rules(u.userId!, 'override').length, 0);
  t.same((await u.get(`${R}/content/`)).body.map((r: any) => r.rule_id), ['.m.rule.contains_user_name']);
  const del = await u.del(`${R}/content/never`);
  t.equal(del.status, 404);
  t.equal(del.body.errcode, 'M_NOT_FOUND');
});

t.test('POST /pushers/set accepts an HTTP pusher and checks its keys', async (t) => {
  const pusher = {
    pushkey: 'abc', kind: 'http', app_id: 'org.example.app', app_display_name: 'App',
    device_display_name: 'Phone', profile_tag: 'tag', lang: 'en', data: { url: 'https://push.example.org/_matrix/push/v1/notify' },
  };
  const ok = await alice.post('/pushers/set', pusher);
  t.equal(ok.status, 200);
  t.same(ok.body, {});
  t.equal((await alice.post('/pushers/set', { ...pusher, kind: null })).status, 200, 'kind null removes a pusher');
  const bad = await alice.post('/pushers/set', { kind: 'http' });
  t.equal(bad.status, 400);
  t.equal(bad.body.errcode, 'M_MISSING_PARAM');
});

t.test('GET /voip/turnServer is {} when no TURN server is configured', async (t) => {
  const res = await alice.get('/voip/turnServer');
  t.equal(res.status, 200);
  t.same(res.body, {});
});

t.test('a configured TURN server gets time-limited shared-secret credentials', async (t) => {
  const turn = await startServer({
    config: { turn_uris: ['turn:turn.example.org:3478?transport=udp'], turn_shared_secret: 'turn-secret', turn_user_lifetime: '1h' },
  });
  t.teardown(() => turn.close());
  const caller = await Client.register(turn, 'caller');
  const before = Math.floor(Date.now() / 1000);
  const res = await caller.get('/voip/turnServer');
  t.equal(res.status, 200);
  t.same(res.body.uris, ['turn:turn.example.org:3478?transport=udp']);
  t.equal(res.body.ttl, 3600);
  const [expiry, user] = [Number(res.body.username.split(':')[0]), res.body.username.slice(res.body.username.indexOf(':') + 1)];
  t.equal(user, caller.userId);
  t.ok(expiry >= before + 3600 && expiry <= before + 3600 + 60, 'expires one lifetime from now');
  t.equal(res.body.password, createHmac('sha1', 'turn-secret').update(res.body.username).digest('base64'));
});

t.test('a curl-style POST without Content-Type is read as JSON', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id;
  const url = `${V1}/rooms/${enc(room)}/send/m.room.message?access_token=${alice.token}`;
  const raw = await http(server.url, 'POST', url, { rawBody: '{"msgtype":"m.text", "body":"hello"}' });
  t.equal(raw.status, 200);
  t.match(raw.body.event_id, /^\$/);
  const form = await http(server.url, 'POST', url.replace('m.room.message', 'org.matrix.midi'), {
    rawBody: '{"note": "71", "velocity": 68, "state": "on", "channel": 1, "midi_ts": 374023441}',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(form.status, 200, 'what curl -d sends');
  t.same(server.hs.persister.loader.pdu(form.body.event_id)?.content, { note: '71', velocity: 68, state: 'on', channel: 1, midi_ts: 374023441 });
});

t.test('malformed JSON is 400 M_NOT_JSON; an unknown path is 404 M_UNRECOGNIZED', async (t) => {
  for (const rawBody of ['{"msgtype": "m.text", ', 'not json at all']) {
    const res = await http(server.url, 'POST', `${V1}/register`, { rawBody, headers: { 'content-type': 'application/json' } });
    t.equal(res.status, 400, rawBody);
    t.equal(res.body.errcode, 'M_NOT_JSON');
  }
  const unknown = await alice.get('/no/such/endpoint');
  t.equal(unknown.status, 404);
  t.equal(unknown.body.errcode, 'M_UNRECOGNIZED');
});

t.test('responses carry CORS headers and OPTIONS preflights are answered on client paths', async (t) => {
  const pre = await http(server.url, 'OPTIONS', `${V1}/profile/${enc(alice.userId!)}/displayname`, {
    headers: { origin: 'http://client.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
  });
  t.equal(pre.status, 200);
  t.equal(pre.headers['access-control-allow-origin'], '*');
  t.match(String(pre.headers['access-control-allow-methods']), /PUT/);
  t.match(String(pre.headers['access-control-allow-headers']).toLowerCase(), /content-type/);
  for (const res of [await http(server.url, 'GET', `${V1}/publicRooms`, { headers: { origin: 'http://client.example' } }),
    await http(server.url, 'GET', `${V1}/pushrules/`, { headers: { origin: 'http://client.example' } })]) {
    t.equal(res.headers['access-control-allow-origin'], '*', `status ${res.status}`);
  }
});

t.test('sending too fast is 429 M_LIMIT_EXCEEDED with retry_after_ms, per user', async (t) => {
  const limited = await startServer({ config: { rate_limiting: { per_second: 0.1, burst: 3 } } });
  t.teardown(() => limited.close());
  const [a, b] = [await Client.register(limited, 'a'), await Client.register(limited, 'b')];
  const room = (await a.post('/createRoom', { visibility: 'public' })).body.room_id; // takes one token
  await b.post(`/join/${enc(room)}`);
  const statuses: number[] = [];
  let refused: any;
  for (let i = 0; i < 4; i++) {
    const res = await a.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: `m${i}` });
    statuses.push(res.status);
    if (res.status === 429) refused ??= res.body;
  }
  t.same(statuses, [200, 200, 429, 429], 'the burst is spent');
  t.equal(refused.errcode, 'M_LIMIT_EXCEEDED');
  t.ok(Number.isInteger(refused.retry_after_ms) && refused.retry_after_ms > 0, 'retry_after_ms is a positive integer');
  t.equal((await b.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body: 'b' })).status, 200, 'another user is not affected');
  const created = await a.post('/createRoom', {});
  t.equal(created.status, 429, 'room creation counts too');
});
