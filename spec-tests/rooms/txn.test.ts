// Client transaction ids: a retried request answers what the first one did, once per access token.
import t from 'tap';
import { startServer, Client, http, enc } from '../helpers/server.js';

t.test('send is idempotent per access token and txnId, by PUT or POST', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice', 'pw-alice');
  const room = (await alice.post('/createRoom/c1', { visibility: 'private' })).body.room_id;
  const again = await alice.post('/createRoom/c1', { visibility: 'private' });
  t.equal(again.body.room_id, room, 'createRoom with a txnId is idempotent too');

  const body = { msgtype: 'm.text', body: 'once' };
  const first = await alice.put(`/rooms/${enc(room)}/send/m.room.message/m1441203262431.0`, body);
  const retry = await alice.post(`/rooms/${enc(room)}/send/m.room.message/m1441203262431.0`, body);
  t.equal(retry.body.event_id, first.body.event_id, 'the same event id for the retry');

  // Another session of the same user has its own txnId space.
  const login = await http(server.url, 'POST', '/_matrix/client/api/v1/login', { body: { type: 'm.login.password', user: 'alice', password: 'pw-alice' } });
  const other = new Client(server.url, login.body.access_token, alice.userId);
  const fromOther = await other.put(`/rooms/${enc(room)}/send/m.room.message/m1441203262431.0`, body);
  t.not(fromOther.body.event_id, first.body.event_id, 'another access token sends a new event');

  const page = await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=20`);
  t.equal(page.body.chunk.filter((e: any) => e.content.body === 'once').length, 2, 'stored once per token');
});
