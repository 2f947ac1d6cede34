import t from 'tap';
import { startServer, Client, enc } from '../helpers/server.js';

t.test('a read receipt only moves forwards: one for an older event is ignored', async (t) => {
  const s = await startServer();
  t.teardown(() => s.close());
  const alice = await Client.register(s, 'alice');
  const { body: { room_id } } = await alice.post('/createRoom', {});
  const first = await alice.put(`/rooms/${enc(room_id)}/send/m.room.message/r1`, { msgtype: 'm.text', body: 'one' });
  const second = await alice.put(`/rooms/${enc(room_id)}/send/m.room.message/r2`, { msgtype: 'm.text', body: 'two' });
  const receipt = (id: string) => alice.post(`/_matrix/client/v2_alpha/rooms/${enc(room_id)}/receipt/m.read/${enc(id)}`, {});
  const readAt = async () => {
    const init = await alice.get('/initialSync?limit=1');
    const r = init.body.receipts.find((e: any) => e.room_id === room_id);
    return Object.keys(r?.content ?? {}).find((id) => r.content[id]['m.read']?.[alice.userId!]);
  };
  t.equal((await receipt(second.body.event_id)).status, 200);
  t.equal(await readAt(), second.body.event_id);
  t.equal((await receipt(first.body.event_id)).status, 200, 'an older receipt is accepted');
  t.equal(await readAt(), second.body.event_id, 'but does not move the receipt back');
});
