// The curl commands users of the era typed (../shared/examples.md), sent byte for byte: POST
// without a txnId, the token in the query string, and curl's form Content-Type.
import t from 'tap';
import { startServer, Client, http, enc } from '../helpers/server.js';

const EXAMPLES: [string, string][] = [
  ['m.room.message', '{"msgtype":"m.text", "body":"hello"}'],
  ['m.call.invite', '{"version": 0, "call_id": "12345", "offer": {"type": "offer", "sdp": "v=0\\r\\no=- 658458 2 IN IP4 127.0.0.1..."}}'],
  ['org.matrix.midi', '{"note": "71", "velocity": 68, "state": "on", "channel": 1, "midi_ts": 374023441}'],
  ['org.matrix.demos.unity.stickmen', '{"thumbnail": "mxc://...", "actions": [{"x": "0.5521607", "y": "6.224353", "t": "0.9479785"}]}'],
];

t.test('the curl examples of the era answer {"event_id": ...} and the room sees the content unchanged', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const room = (await alice.post('/createRoom', {})).body.room_id;
  await bob.post(`/join/${enc(room)}`);
  for (const [type, body] of EXAMPLES) {
    const res = await http(server.url, 'POST', `/_matrix/client/api/v1/rooms/${room}/send/${type}?access_token=${alice.token}`, {
      rawBody: body, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    t.equal(res.status, 200, type);
    t.same(Object.keys(res.body), ['event_id'], `${type}: {"event_id": ...}`);
    const seen = await bob.get(`/events/${enc(res.body.event_id)}`);
    t.equal(seen.body.type, type);
    t.same(seen.body.content, JSON.parse(body), `${type}: content passed through untouched`);
  }
});
