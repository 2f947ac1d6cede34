import t from 'tap';
import {
  authEventsFor, defaultPowerLevelsContent, namedLevel, requiredLevelToSend, toIntLevel, userPowerLevel, type JsonObject,
} from '../../src/events/index.js';
import { ALICE, BOB, createEvent, member, room, stateOf, withPowerLevels } from './fixtures/room.js';

t.test('defaultPowerLevelsContent matches createRoom', async (t) => {
  t.same(defaultPowerLevelsContent('@c:hs'), {
    users: { '@c:hs': 100 }, users_default: 0,
    events: { 'm.room.name': 50, 'm.room.power_levels': 100, 'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50, 'm.room.avatar': 50 },
    events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0,
  });
});

const intRows: [unknown, number | null][] = [
  [50, 50], [50.9, 50], ['50', 50], [' 7 ', 7], ['-3', -3], ['+4', 4], [true, 1], [false, 0],
  ['5.0', null], ['abc', null], [null, null], [undefined, null], [{}, null], [NaN, null],
];
for (const [input, want] of intRows) {
  t.test(`toIntLevel(${JSON.stringify(input)})`, async (t) => t.equal(toIntLevel(input), want));
}

t.test('userPowerLevel', async (t) => {
  t.equal(userPowerLevel(ALICE, stateOf(createEvent())), 100, 'creator without PL event');
  t.equal(userPowerLevel(BOB, stateOf(createEvent())), 0);
  t.equal(userPowerLevel(ALICE, new Map()), 0, 'no state at all');
  const s = withPowerLevels(room(), { users: { [ALICE]: 0, [BOB]: '20' }, users_default: 10 });
  t.equal(userPowerLevel(ALICE, s), 0, 'explicit 0 wins over users_default');
  t.equal(userPowerLevel(BOB, s), 20);
  t.equal(userPowerLevel('@x:hs', s), 10);
  t.equal(userPowerLevel('@x:hs', withPowerLevels(room(), {})), 0);
});

t.test('namedLevel and requiredLevelToSend', async (t) => {
  const s = withPowerLevels(room(), { ban: '70', events: { 'x.t': 30, 'x.null': null }, events_default: 5 });
  t.equal(namedLevel('ban', 50, s), 70);
  t.equal(namedLevel('kick', 50, s), 50);
  t.equal(namedLevel('invite', 0, stateOf(createEvent())), 0);
  t.equal(requiredLevelToSend('x.t', false, s), 30);
  t.equal(requiredLevelToSend('x.null', false, s), 5, 'null falls back to the default');
  t.equal(requiredLevelToSend('x.other', false, s), 5);
  t.equal(requiredLevelToSend('x.other', true, s), 50, 'state_default defaults to 50');
  t.equal(requiredLevelToSend('x.other', true, stateOf(createEvent())), 0, 'no PL event');
});

t.test('authEventsFor (compute_auth_events)', async (t) => {
  const s = room('invite', member(ALICE, BOB, 'invite'));
  const pick = (tpl: { type: string; sender: string; state_key?: string; content: JsonObject }, st = s) =>
    authEventsFor(tpl, st).map((e) => `${e.type}|${e.state_key}`);
  const PL = 'm.room.power_levels|';
  const CREATE = 'm.room.create|';
  const JR = 'm.room.join_rules|';
  t.same(pick({ type: 'm.room.create', sender: ALICE, state_key: '', content: {} }), []);
  t.same(pick({ type: 'm.room.message', sender: ALICE, content: {} }), [PL, CREATE, `m.room.member|${ALICE}`]);
  t.same(pick({ type: 'm.room.message', sender: BOB, content: {} }), [PL, CREATE], 'invited sender not cited');
  t.same(pick({ type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'join' } }),
    [PL, CREATE, JR, `m.room.member|${BOB}`]);
  const pub = room('public');
  t.same(pick({ type: 'm.room.member', sender: ALICE, state_key: ALICE, content: { membership: 'join' } }, pub),
    [PL, CREATE, JR], 'public join omits own member event');
  t.same(pick({ type: 'm.room.member', sender: ALICE, state_key: BOB, content: { membership: 'invite' } }),
    [PL, CREATE, JR, `m.room.member|${ALICE}`]);
  t.same(pick({ type: 'm.room.member', sender: ALICE, state_key: BOB, content: { membership: 'ban' } }),
    [PL, CREATE, `m.room.member|${ALICE}`]);
  t.same(pick({ type: 'm.room.member', sender: ALICE, state_key: ALICE, content: { membership: 'join' } },
    stateOf(createEvent())), [CREATE]);
});
