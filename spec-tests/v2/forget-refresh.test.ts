// Synapse 0.12's forget (leaves first, forgets the memberships so far) and tokenrefresh.
import t from 'tap';
import { startServer, Client, enc, http, type TestServer } from '../helpers/server.js';

let server: TestServer;
let alice: Client, bob: Client;

t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  bob = await Client.register(server, 'bob', 'bob password');
});
t.teardown(() => server.close());

const say = (c: Client, room: string, body: string) => c.post(`/rooms/${enc(room)}/send/m.room.message`, { msgtype: 'm.text', body });

t.test('forgetting a joined room leaves it; with joined history, what was seen before stays hidden after a rejoin', async (t) => {
  const room = (await alice.post('/createRoom', { invite: [bob.userId] })).body.room_id;
  await alice.put(`/rooms/${enc(room)}/state/m.room.join_rules`, { join_rule: 'invite' });
  await alice.put(`/rooms/${enc(room)}/state/m.room.history_visibility`, { history_visibility: 'joined' });
  await bob.post(`/rooms/${enc(room)}/join`);
  await say(alice, room, 'before leave');
  t.equal((await bob.post(`/rooms/${enc(room)}/forget`)).status, 200);
  t.equal((await alice.get(`/rooms/${enc(room)}/state/m.room.member/${enc(bob.userId!)}`)).body.membership, 'leave');
  t.equal((await bob.get(`/rooms/${enc(room)}/messages?limit=5&dir=b`)).status, 403);
  t.notOk((await bob.get('/_matrix/client/v2_alpha/sync')).body.rooms.leave[room], 'gone from /sync');
  await alice.post(`/rooms/${enc(room)}/invite`, { user_id: bob.userId });
  await bob.post(`/rooms/${enc(room)}/join`);
  const chunk = (await bob.get(`/rooms/${enc(room)}/messages?limit=100&dir=b`)).body.chunk;
  t.notOk(chunk.some((e: any) => e.content?.body === 'before leave'), 'the forgotten membership no longer shows that history');
});

t.test('tokenrefresh trades a refresh token from login for new tokens, once', async (t) => {
  const login = await http(server.url, 'POST', '/_matrix/client/api/v1/login', { body: { type: 'm.login.password', user: 'bob', password: 'bob password' } });
  t.type(login.body.refresh_token, 'string');
  const path = '/_matrix/client/v2_alpha/tokenrefresh';
  const first = await http(server.url, 'POST', path, { body: { refresh_token: login.body.refresh_token } });
  t.equal(first.status, 200);
  t.not(first.body.access_token, login.body.access_token);
  t.not(first.body.refresh_token, login.body.refresh_token);
  t.equal((await new Client(server.url, first.body.access_token).get('/initialSync?limit=0')).status, 200, 'the new access token works');
  const again = await http(server.url, 'POST', path, { body: { refresh_token: login.body.refresh_token } });
  t.equal(again.status, 403, 'a refresh token works once');
  t.equal((await http(server.url, 'POST', path, { body: { refresh_token: 'made-up' } })).status, 403);
  t.equal((await http(server.url, 'POST', path, { body: {} })).status, 400);
});
