// Presence follows the event stream: opening it marks a user online, and a user whose stream
// stays closed for presence.idle_timeout_ms goes offline, as Synapse did.
import t from 'tap';
import { startServer, Client, enc, waitFor } from '../helpers/server.js';

t.test('a user whose event stream stays closed goes offline; a waiting stream keeps them online', async (t) => {
  const server = await startServer({ config: { presence: { idle_timeout_ms: 200 } } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const room = (await alice.post('/createRoom', {})).body.room_id;
  await bob.post(`/join/${enc(room)}`);
  const statusOf = async () => (await bob.get(`/presence/${enc(alice.userId!)}/status`)).body.presence;

  await alice.get('/events?timeout=0');
  t.equal(await statusOf(), 'online', 'opening the stream marks alice online');
  const waiting = alice.get('/events?timeout=1500');
  await new Promise((r) => setTimeout(r, 600));
  t.equal(await statusOf(), 'online', 'still online while her stream waits');
  await waiting;
  await waitFor(async () => (await statusOf()) === 'offline', 'alice to go offline after her stream closed');
  t.pass('offline once the stream stayed closed');
});
