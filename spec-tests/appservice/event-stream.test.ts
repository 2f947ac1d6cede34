// A service's own sender reading /events sees the rooms in its namespaces, joined or not.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Client, enc } from '../helpers/server.js';
import { startReceiver, writeRegistration, FAST_RETRY } from './helpers.js';

t.test("the as_token's /events covers rooms in the service's alias namespace", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-as-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const reg = writeRegistration(dir, 'logger', {
    url: receiver.url, as_token: 'log-as', hs_token: 'log-hs', sender_localpart: 'logger',
    namespaces: { users: [], rooms: [], aliases: [{ exclusive: false, regex: '#logged_.*' }] },
  });
  const server = await startServer({ config: { app_service_config_files: [reg], appservice: FAST_RETRY } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  const bot = new Client(server.url, 'log-as');
  const from = (await bot.get('/initialSync?limit=0')).body.end;
  const watched = (await alice.post('/createRoom', { room_alias_name: 'logged_stream' })).body.room_id;
  const other = (await alice.post('/createRoom', { room_alias_name: 'private_stuff' })).body.room_id;
  const poll = bot.get(`/events?from=${enc(from)}&timeout=10000`);
  const sent = await alice.post(`/rooms/${enc(watched)}/send/m.room.message`, { msgtype: 'm.text', body: 'for the logger' });
  await alice.post(`/rooms/${enc(other)}/send/m.room.message`, { msgtype: 'm.text', body: 'not for the logger' });
  let res = await poll;
  let events = res.body.chunk;
  while (!events.some((e: any) => e.event_id === sent.body.event_id)) {
    res = await bot.get(`/events?from=${enc(res.body.end)}&timeout=5000`);
    t.equal(res.status, 200);
    if (res.body.chunk.length === 0) break;
    events = events.concat(res.body.chunk);
  }
  t.ok(events.some((e: any) => e.event_id === sent.body.event_id), 'the message in the namespaced room');
  t.notOk(events.some((e: any) => e.room_id === other), 'nothing from rooms outside the namespaces');
  t.notOk((await bot.get(`/rooms/${enc(watched)}/state`)).status === 200, 'the bot is not a member of the room');
});
