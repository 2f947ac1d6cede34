// Registration (v1 password and shared secret, v2_alpha as matrix-js-sdk 0.3 uses it), login,
// logout and access tokens, over real HTTP.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { startServer, http, Client, type TestServer } from '../helpers/server.js';
import { parseRegistration } from '../../src/appservice/registration.js';

const V1 = '/_matrix/client/api/v1';
const V2 = '/_matrix/client/v2_alpha';
const SECRET = 'admin-script-secret';

let server: TestServer;
const register = (body: unknown) => http(server.url, 'POST', `${V1}/register`, { body });
const login = (body: unknown) => http(server.url, 'POST', `${V1}/login`, { body });
const whoami = (token: string) => http(server.url, 'GET', `${V1}/pushrules/`, { token });

t.before(async () => {
  server = await startServer({ config: { registration_shared_secret: SECRET } });
});
t.teardown(() => server.close());

t.test('GET /register and GET /login list the password flow', async (t) => {
  const reg = await http(server.url, 'GET', `${V1}/register`);
  t.equal(reg.status, 200);
  t.ok(reg.body.flows.some((f: any) => f.type === 'm.login.password'));
  const log = await http(server.url, 'GET', `${V1}/login`);
  t.same(log.body, { flows: [{ type: 'm.login.password' }] });
});

t.test('password registration returns a working token and stores only hashes', async (t) => {
  const password = 'reg-password-1';
  const res = await register({ type: 'm.login.password', user: 'alice', password });
  t.equal(res.status, 200);
  t.equal(res.body.user_id, `@alice:${server.serverName}`);
  t.equal(res.body.home_server, server.serverName);
  t.type(res.body.access_token, 'string');
  t.ok(Buffer.from(res.body.access_token, 'base64url').length >= 32, 'token carries 32+ random bytes');
  t.equal((await whoami(res.body.access_token)).status, 200);
  const row = server.hs.storage.users.getUser(res.body.user_id)!;
  t.match(row.password_hash, /^scrypt\$/);
  t.notOk(row.password_hash!.includes(password));
  const dump = JSON.stringify(server.hs.storage.db.prepare('SELECT * FROM access_tokens').all());
  t.notOk(dump.includes(res.body.access_token), 'the token itself is not stored');
});

t.test('a new user starts with their localpart as display name', async (t) => {
  const res = await register({ type: 'm.login.password', user: 'dora', password: 'x-password' });
  const profile = await http(server.url, 'GET', `${V1}/profile/${encodeURIComponent(res.body.user_id)}`);
  t.same(profile.body, { displayname: 'dora', avatar_url: null });
});

t.test('without a user a random localpart of "-" and 18 letters is generated', async (t) => {
  const res = await register({ type: 'm.login.password', password: 'anon-password' });
  t.equal(res.status, 200);
  t.match(res.body.user_id, new RegExp(`^@-[a-z]{18}:${server.serverName}$`));
});

t.test('user ids are case-insensitive: a taken name in other case is M_USER_IN_USE', async (t) => {
  t.equal((await register({ type: 'm.login.password', user: 'bob', password: 'pw-bob' })).status, 200);
  for (const user of ['bob', 'BOB', 'Bob']) {
    const res = await register({ type: 'm.login.password', user, password: 'pw' });
    t.equal(res.status, 400, user);
    t.equal(res.body.errcode, 'M_USER_IN_USE', user);
  }
});

t.test('a mixed-case localpart is registered in lowercase', async (t) => {
  const res = await register({ type: 'm.login.password', user: 'CamelCase', password: 'pw-camel' });
  t.equal(res.body.user_id, `@camelcase:${server.serverName}`);
});

t.test('localparts that would need URL-encoding are refused', async (t) => {
  for (const user of ['has space', 'colon:inside', 'ünïcode', '@at', '', 'a#b']) {
    const res = await register({ type: 'm.login.password', user, password: 'pw' });
    t.equal(res.status, 400, JSON.stringify(user));
    t.type(res.body.errcode, 'string');
  }
});

t.test('a missing or unknown registration type and a missing password are 400', async (t) => {
  const noType = await register({ user: 'nobody', password: 'pw' });
  t.equal(noType.status, 400);
  t.match(noType.body.error, /type/);
  t.equal((await register({ type: 'm.login.carrier_pigeon', user: 'nobody' })).status, 400);
  const noPassword = await register({ type: 'm.login.password', user: 'nobody' });
  t.equal(noPassword.status, 400);
  t.equal(noPassword.body.errcode, 'M_MISSING_PARAM');
  t.equal(server.hs.storage.users.getUser(`@nobody:${server.serverName}`), undefined);
});

t.test('user ids reserved by an application service are refused with M_EXCLUSIVE', async (t) => {
  // A server with a service whose namespace claims @irc_* exclusively (added at run time, as the
  // test kit's registerAppService and the legacy HTTP registration do).
  const s = await startServer();
  t.teardown(() => s.close());
  s.hs.appservices.add(parseRegistration({
    id: 'irc', url: 'http://127.0.0.1:9', as_token: 'as-token-irc', hs_token: 'hs-token-irc', sender_localpart: 'ircbot',
    namespaces: { users: [{ regex: '@irc_.*', exclusive: true }], aliases: [], rooms: [] },
  }, 'test registration'));
  const reg = (body: unknown) => http(s.url, 'POST', `${V1}/register`, { body });
  const res = await reg({ type: 'm.login.password', user: 'irc_carol', password: 'pw' });
  t.equal(res.status, 400);
  t.equal(res.body.errcode, 'M_EXCLUSIVE');
  const v2 = await registerV2('irc_dave', 'pw', s.url);
  t.equal(v2.status, 400);
  t.equal(v2.body.errcode, 'M_EXCLUSIVE');
  t.equal((await reg({ type: 'm.login.password', user: 'carol', password: 'pw' })).status, 200);
});

t.test('shared-secret registration needs the right HMAC-SHA1 over the user', async (t) => {
  const mac = (user: string, key = SECRET) => createHmac('sha1', key).update(user).digest('hex');
  const type = 'org.matrix.login.shared_secret';
  const wrong = await register({ type, user: 'scripted', password: 'pw', mac: mac('scripted', 'not-the-secret') });
  t.equal(wrong.status, 403);
  t.equal(wrong.body.errcode, 'M_FORBIDDEN');
  const ok = await register({ type, user: 'scripted', password: 'pw-scripted', mac: mac('scripted') });
  t.equal(ok.status, 200);
  t.equal(ok.body.user_id, `@scripted:${server.serverName}`);
  t.equal((await login({ type: 'm.login.password', user: 'scripted', password: 'pw-scripted' })).status, 200);
});

t.test('with registration disabled password sign-up is 403 but the shared secret still works', async (t) => {
  const closed = await startServer({ config: { enable_registration: false, registration_shared_secret: SECRET } });
  t.teardown(() => closed.close());
  const res = await http(closed.url, 'POST', `${V1}/register`, { body: { type: 'm.login.password', user: 'x', password: 'pw' } });
  t.equal(res.status, 403);
  t.equal(res.body.errcode, 'M_FORBIDDEN');
  const v2 = await http(closed.url, 'POST', `${V2}/register`, { body: { username: 'x', password: 'pw' } });
  t.equal(v2.status, 403);
  const mac = createHmac('sha1', SECRET).update('admin').digest('hex');
  const admin = await http(closed.url, 'POST', `${V1}/register`, {
    body: { type: 'org.matrix.login.shared_secret', user: 'admin', password: 'pw', mac },
  });
  t.equal(admin.status, 200);
});

t.test('login accepts a localpart or a full user id in any case, minting a new token each time', async (t) => {
  const reg = await register({ type: 'm.login.password', user: 'erin', password: 'erin-pw' });
  const tokens = new Set([reg.body.access_token]);
  for (const user of ['erin', 'ERIN', `@erin:${server.serverName}`, `@Erin:${server.serverName}`]) {
    const res = await login({ type: 'm.login.password', user, password: 'erin-pw' });
    t.equal(res.status, 200, user);
    t.equal(res.body.user_id, `@erin:${server.serverName}`);
    t.equal(res.body.home_server, server.serverName);
    tokens.add(res.body.access_token);
  }
  t.equal(tokens.size, 5, 'every login is a new token');
  for (const token of tokens) t.equal((await whoami(token)).status, 200, 'old tokens stay valid');
});

t.test('a wrong password and an unknown user both answer 403 M_FORBIDDEN', async (t) => {
  await register({ type: 'm.login.password', user: 'frank', password: 'frank-pw' });
  for (const body of [
    { type: 'm.login.password', user: 'frank', password: 'nope' },
    { type: 'm.login.password', user: 'nobody-here', password: 'frank-pw' },
  ]) {
    const res = await login(body);
    t.equal(res.status, 403, body.user);
    t.equal(res.body.errcode, 'M_FORBIDDEN');
  }
});

t.test('login with an unknown type or missing keys is 400', async (t) => {
  t.equal((await login({ type: 'm.login.saml2', user: 'frank' })).status, 400);
  t.equal((await login({ type: 'm.login.password', user: 'frank' })).status, 400);
  t.equal((await login({ user: 'frank', password: 'frank-pw' })).status, 400);
});

t.test('tokens work in the query string and as a Bearer header; missing and unknown tokens are 401', async (t) => {
  const alice = await Client.register(server, 'grace');
  const bearer = await http(server.url, 'GET', `${V1}/pushrules/`, { headers: { authorization: `Bearer ${alice.token}` } });
  t.equal(bearer.status, 200);
  const missing = await http(server.url, 'GET', `${V1}/pushrules/`);
  t.equal(missing.status, 401);
  t.equal(missing.body.errcode, 'M_MISSING_TOKEN');
  const unknown = await whoami('not-a-token');
  t.equal(unknown.status, 401);
  t.equal(unknown.body.errcode, 'M_UNKNOWN_TOKEN');
});

t.test('logout invalidates only the token it was called with', async (t) => {
  await register({ type: 'm.login.password', user: 'heidi', password: 'heidi-pw' });
  const a = (await login({ type: 'm.login.password', user: 'heidi', password: 'heidi-pw' })).body.access_token;
  const b = (await login({ type: 'm.login.password', user: 'heidi', password: 'heidi-pw' })).body.access_token;
  const out = await http(server.url, 'POST', `${V1}/logout`, { token: a });
  t.equal(out.status, 200);
  t.same(out.body, {});
  const after = await whoami(a);
  t.equal(after.status, 401);
  t.equal(after.body.errcode, 'M_UNKNOWN_TOKEN');
  t.equal((await whoami(b)).status, 200);
});

async function registerV2(username: string, password: string, url = server.url) {
  const first = await http(url, 'POST', `${V2}/register`, { body: { username, password } });
  if (first.status !== 401) return first;
  return http(url, 'POST', `${V2}/register`, {
    body: { username, password, auth: { type: 'm.login.dummy', session: first.body.session } },
  });
}

t.test('v2_alpha register: a 401 with a dummy flow, then the account (as matrix-js-sdk 0.3 does it)', async (t) => {
  const first = await http(server.url, 'POST', `${V2}/register`, { body: { username: 'ivan', password: 'ivan-pw' } });
  t.equal(first.status, 401);
  t.type(first.body.session, 'string');
  t.same(first.body.flows, [{ stages: ['m.login.dummy'] }]);
  t.same(first.body.params, {});
  t.equal(server.hs.storage.users.getUser(`@ivan:${server.serverName}`), undefined, 'nothing created yet');
  const second = await http(server.url, 'POST', `${V2}/register`, {
    body: { username: 'ivan', password: 'ivan-pw', auth: { type: 'm.login.dummy', session: first.body.session } },
  });
  t.equal(second.status, 200);
  t.equal(second.body.user_id, `@ivan:${server.serverName}`);
  t.equal(second.body.home_server, server.serverName);
  t.equal((await whoami(second.body.access_token)).status, 200);
  t.equal((await login({ type: 'm.login.password', user: 'ivan', password: 'ivan-pw' })).status, 200);
});

t.test('v2_alpha register: an unknown session starts over and a taken name is M_USER_IN_USE', async (t) => {
  const forged = await http(server.url, 'POST', `${V2}/register`, {
    body: { username: 'judy', password: 'pw', auth: { type: 'm.login.dummy', session: 'made-up' } },
  });
  t.equal(forged.status, 401);
  t.not(forged.body.session, 'made-up');
  const taken = await registerV2('IVAN', 'pw');
  t.equal(taken.status, 400);
  t.equal(taken.body.errcode, 'M_USER_IN_USE');
});

t.test('matrix-js-sdk 0.3 registers through v2_alpha, logs in and reads what a starting client reads', async (t) => {
  const sdk = createRequire(import.meta.url)('matrix-js-sdk');
  const anonClient = sdk.createClient({ baseUrl: server.url });
  const first = await anonClient.register('jsuser', 'js-pw').then(
    () => t.fail('the first call must ask for auth'),
    (err: any) => err,
  );
  t.equal(first.httpStatus, 401);
  t.same(first.data.flows, [{ stages: ['m.login.dummy'] }]);
  const reg = await anonClient.register('jsuser', 'js-pw', first.data.session, { type: 'm.login.dummy' });
  t.equal(reg.user_id, `@jsuser:${server.serverName}`);

  const login = await sdk.createClient({ baseUrl: server.url }).loginWithPassword('jsuser', 'js-pw');
  t.equal(login.user_id, reg.user_id);
  const client = sdk.createClient({ baseUrl: server.url, accessToken: login.access_token, userId: login.user_id });
  const rules = await client.pushRules();
  t.equal(rules.global.content[0].pattern, 'jsuser');
  await client.addPushRule('global', 'content', 'kittens', { pattern: 'kittens', actions: ['notify'] });
  t.same((await client.pushRules()).global.content.map((r: any) => r.rule_id), ['kittens', '.m.rule.contains_user_name']);
  await client.deletePushRule('global', 'content', 'kittens');
  await client.setDisplayName('JS User');
  t.same(await client.getProfileInfo(login.user_id, 'displayname'), { displayname: 'JS User' });
  t.same(await client.turnServer(), {});
  t.same(await client.loginFlows(), { flows: [{ type: 'm.login.password' }] });
});
