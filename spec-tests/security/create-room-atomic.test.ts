// Issue 10 item 6: createRoom is all-or-nothing; a failed invite after creation leaves a complete room.
import t from 'tap';
import { startServer, Client, http, enc, freePort } from '../helpers/server.js';
import { FED_CONFIG } from '../federation/helpers.js';

t.test('a createRoom that fails leaves no room, no alias and no events', async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const sn = server.serverName;
  const alice = await Client.register(server, 'alice');
  const mallory = await Client.register(server, 'mallory');

  const cases: [string, Record<string, unknown>, number][] = [
    ['an initial_state entry that is not canonical JSON (a float)', { initial_state: [{ type: 'm.room.topic', state_key: '', content: { topic: 'x', n: 1.5 } }] }, 400],
    ['an initial_state entry without content', { initial_state: [{ type: 'm.room.topic' }] }, 400],
    ['an initial_state entry with a numeric state_key', { initial_state: [{ type: 'm.room.topic', state_key: 7, content: {} }] }, 400],
    ['an initial_state m.room.create', { initial_state: [{ type: 'm.room.create', state_key: '', content: { creator: mallory.userId } }] }, 400],
    ['an initial_state entry the auth rules refuse (a join for someone else)', { initial_state: [{ type: 'm.room.member', state_key: mallory.userId, content: { membership: 'join' } }] }, 403],
    ['an initial_state entry after which nothing is allowed (creator power 0, then a name)', {
      initial_state: [{ type: 'm.room.power_levels', state_key: '', content: { users: {}, users_default: 0, state_default: 50, events: {} } }],
      name: 'after',
    }, 403],
    ['a name that is not a string', { name: { x: 1 } }, 400],
    ['an invite list with a bad id', { invite: ['not-a-user'] }, 400],
    ['an unknown preset', { preset: 'everyone_is_admin' }, 400],
    ['a bad visibility', { visibility: 'maybe' }, 400],
  ];
  for (const [what, extra, status] of cases) {
    const res = await alice.post('/createRoom', { room_alias_name: 'half', visibility: 'public', ...extra });
    t.equal(res.status, status, what);
    t.type(res.body.errcode, 'string', `${what}: a Matrix error`);
    const dir = await http(server.url, 'GET', `/_matrix/client/api/v1/directory/room/${enc(`#half:${sn}`)}`);
    t.equal(dir.status, 404, `${what}: the alias is still free`);
  }
  const pub = await alice.get('/publicRooms');
  t.same(pub.body.chunk, [], 'no room is published');
  const sync = await alice.get('/initialSync?limit=1');
  t.same(sync.body.rooms, [], 'the creator is in no room');

  const ok = await alice.post('/createRoom', { room_alias_name: 'half', visibility: 'public', name: 'Whole' });
  t.equal(ok.status, 200, 'the alias can then be taken by a good request');
  const pl = await alice.get(`/rooms/${enc(ok.body.room_id)}/state/m.room.power_levels`);
  t.equal(pl.body.users[alice.userId!], 100);
  t.equal((await alice.get('/publicRooms')).body.chunk.length, 1, 'exactly one room exists');
});

t.test('an invite to an unreachable server after creation leaves a complete room and is reported', async (t) => {
  const server = await startServer({ config: FED_CONFIG });
  t.teardown(() => server.close());
  const sn = server.serverName;
  const alice = await Client.register(server, 'alice');
  const bob = await Client.register(server, 'bob');
  const deadPort = await freePort(); // nothing listens there
  const ghost = `@ghost:127.0.0.1:${deadPort}`;

  const res = await alice.post('/createRoom', { room_alias_name: 'partial', visibility: 'private', invite: [ghost, bob.userId] });
  t.equal(res.status, 200, 'the room was made');
  const roomId = res.body.room_id;
  t.equal(res.body.room_alias, `#partial:${sn}`);
  t.equal(res.body.invite_failures?.length, 1, 'the failed invite is reported');
  t.equal(res.body.invite_failures[0].user_id, ghost);
  t.equal(res.body.invite_failures[0].error, `could not reach 127.0.0.1:${deadPort}`, 'generic, no socket error text');
  t.notMatch(res.text, /ECONN|ENOTFOUND|fetch failed/);

  const pl = await alice.get(`/rooms/${enc(roomId)}/state/m.room.power_levels`);
  t.equal(pl.status, 200, 'power levels exist');
  t.equal(pl.body.users[alice.userId!], 100, 'the creator has power 100');
  t.equal((await alice.get(`/rooms/${enc(roomId)}/state/m.room.join_rules`)).body.join_rule, 'invite');
  t.equal(server.hs.storage.state.membershipOf(roomId, bob.userId!), 'invite', 'the other invite was still sent');
  const dir = await http(server.url, 'GET', `/_matrix/client/api/v1/directory/room/${enc(`#partial:${sn}`)}`);
  t.equal(dir.body.room_id, roomId);

  // An uninvited user who finds the alias cannot take the room over.
  const mallory = await Client.register(server, 'mallory');
  t.equal((await mallory.post(`/join/${enc(`#partial:${sn}`)}`, {})).status, 403, 'an invite-only room');
});
