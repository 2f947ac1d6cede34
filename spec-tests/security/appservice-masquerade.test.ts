// Issue 10 item 5: an application service acts only as registered LOCAL users it owns.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, Client, enc } from '../helpers/server.js';
import { startReceiver, writeRegistration, FAST_RETRY } from '../appservice/helpers.js';
import { FED_CONFIG, readEventsUntil, messageBodies, register, startFederating } from '../federation/helpers.js';

t.test('?user_id= naming a user of another server or an unregistered user is 403 and leaves no trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-as-masq-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const reg = writeRegistration(dir, 'irc', {
    url: receiver.url, as_token: 'irc-as-masq', hs_token: 'irc-hs-masq', sender_localpart: 'ircbot',
    // the regex matches any server's users, as real registrations of the era did
    namespaces: { users: [{ exclusive: true, regex: '@irc_.*' }], aliases: [], rooms: [] },
  });
  const A = await startServer({ config: { ...FED_CONFIG, app_service_config_files: [reg], appservice: FAST_RETRY } });
  const B = await startFederating();
  t.teardown(async () => {
    await B.close();
    await A.close();
  });

  const alice = await register(A, 'alice');
  const bob = await register(B, 'bob');
  const room = (await alice.post('/createRoom', { visibility: 'public', room_alias_name: 'bridge' })).body.room_id;
  t.equal((await bob.post(`/join/${enc(room)}`, {})).status, 200, 'a user of B is in the room, so events federate');
  const bobSync = await bob.get('/initialSync?limit=1');
  const asUser = (userId: string) => `?access_token=irc-as-masq&user_id=${enc(userId)}`;
  const bot = new Client(A.url);

  const ghost = `@irc_ghost:${B.serverName}`;
  const nobody = `@irc_nobody:${A.serverName}`;
  for (const [who, what] of [[ghost, 'a user of another server'], [nobody, 'an unregistered local user']]) {
    const join = await bot.req('POST', `/_matrix/client/api/v1/join/${enc(room)}${asUser(who)}`, {});
    t.equal(join.status, 403, `join as ${what}`);
    t.equal(join.body.errcode, 'M_FORBIDDEN');
    const send = await bot.req('POST', `/_matrix/client/api/v1/rooms/${enc(room)}/send/m.room.message${asUser(who)}`, { msgtype: 'm.text', body: 'spoof' });
    t.equal(send.status, 403, `send as ${what}`);
    t.equal(send.body.errcode, 'M_FORBIDDEN');
    const state = await bot.req('PUT', `/_matrix/client/api/v1/rooms/${enc(room)}/state/m.room.member/${enc(who)}${asUser(who)}`, { membership: 'join' });
    t.equal(state.status, 403, `membership state as ${what}`);
    t.equal(A.hs.storage.state.membershipOf(room, who), null, `A stores no membership for ${what}`);
  }
  t.equal(A.hs.storage.users.getUser(nobody), undefined, 'no account was minted on use');

  // Nothing reached B: a marker sent after the attacks arrives with nothing before it from the ghost.
  await alice.put(`/rooms/${enc(room)}/send/m.room.message/marker`, { msgtype: 'm.text', body: 'marker' });
  const seen = await readEventsUntil(bob, bobSync.body.end, (evs) => messageBodies(evs).includes('marker'), 'the marker on B');
  t.notOk(seen.events.some((e) => e.user_id === ghost || e.user_id === nobody || e.state_key === ghost), 'nothing federated');
  t.equal(B.hs.storage.state.membershipOf(room, ghost), null, 'B stores no membership for its own user');
  const history = await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=100`);
  t.notOk(history.body.chunk.some((e: any) => e.user_id === ghost || e.user_id === nobody), 'A stored no event');

  // What stays allowed: the service's sender, and registered local users in its namespace.
  t.equal((await bot.req('POST', `/_matrix/client/api/v1/join/${enc(room)}?access_token=irc-as-masq`, {})).status, 200, 'the sender');
  const regd = await bot.req('POST', '/_matrix/client/api/v1/register?access_token=irc-as-masq', { type: 'm.login.application_service', user: 'irc_carol' });
  t.equal(regd.status, 200);
  const carol = `@irc_carol:${A.serverName}`;
  t.equal((await bot.req('POST', `/_matrix/client/api/v1/join/${enc(room)}${asUser(carol)}`, {})).status, 200, 'a registered virtual user');
  t.equal(A.hs.storage.state.membershipOf(room, carol), 'join');
});
