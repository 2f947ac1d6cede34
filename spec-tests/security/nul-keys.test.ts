// State is keyed by type + NUL + state_key: a NUL inside a type or state_key would be read back
// as another key (a state event of type "m.room.member\u0000x" listed by /members). Refused.
import t from 'tap';
import { startServer, Client, enc } from '../helpers/server.js';

t.test('an event type or state_key with a NUL is 400 and changes nothing', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const room = (await alice.post('/createRoom', {})).body.room_id as string;
  const stateIds = async () => ((await alice.get(`/rooms/${enc(room)}/state`)).body as { event_id: string }[]).map((e) => e.event_id).sort();
  const before = await stateIds();
  for (const path of [
    `/rooms/${enc(room)}/state/${enc('m.room.member\u0000x')}/${enc(alice.userId!)}`,
    `/rooms/${enc(room)}/state/m.room.topic/${enc('a\u0000b')}`,
    `/rooms/${enc(room)}/send/${enc('m.room.message\u0000')}/t1`,
  ]) {
    const res = await alice.put(path, { membership: 'join', topic: 'x', body: 'x' });
    t.equal(res.status, 400, `${JSON.stringify(path)} is refused`);
    t.match(res.body, { errcode: String, error: String });
  }
  t.same(await stateIds(), before, 'the room state is unchanged');
  const members = (await alice.get(`/rooms/${enc(room)}/members`)).body.chunk as { type: string }[];
  t.same(members.map((e) => e.type), ['m.room.member'], '/members lists only the real member event');
  t.equal((await alice.put(`/rooms/${enc(room)}/send/m.room.message/t2`, { msgtype: 'm.text', body: 'still fine' })).status, 200);
});
