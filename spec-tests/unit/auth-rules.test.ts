import t from 'tap';
import {
  AuthError, EventTooLargeError, checkEventAuth, checkEventSize, defaultPowerLevelsContent, type JsonObject,
  type StateMap,
} from '../../src/events/index.js';
import { ALICE, BOB, CAROL, createEvent, ev, member, room, stateOf, withPowerLevels } from './fixtures/room.js';

const DAVE = '@dave:hs';
type Expect = 'allow' | 'forbidden' | 'malformed';
const pl = (extra: JsonObject) => ({ ...defaultPowerLevelsContent(ALICE), ...extra });
const msg = (sender: string) => ev('m.room.message', sender, { body: 'hi', msgtype: 'm.text' });
const state = (type: string, sender: string, content: JsonObject, key = '') => ev(type, sender, content, { state_key: key });
const joined = (...users: string[]) => users.map((u) => member(u, u, 'join'));

const cases: [string, StateMap<JsonObject>, JsonObject, Expect][] = [
  // §1 top level
  ['the first create of the room is allowed', new Map(), createEvent(), 'allow'],
  ['create with prev_events is rejected', new Map(), ev('m.room.create', ALICE, { creator: ALICE }, { state_key: '', prev: ['$x:hs'] }), 'forbidden'],
  ['create from another server than the room id names', new Map(), ev('m.room.create', CAROL, { creator: CAROL }, { state_key: '', prev: [] }), 'forbidden'],
  ['create by a remote user naming a local creator', new Map(), ev('m.room.create', CAROL, { creator: ALICE }, { state_key: '', prev: [] }), 'forbidden'],
  ['a second create after the room began', room('public'), ev('m.room.create', BOB, { creator: BOB }, { state_key: '', prev: [] }), 'forbidden'],
  ['create citing auth events is not the first event', stateOf(createEvent()), ev('m.room.create', ALICE, { creator: ALICE }, { state_key: '', prev: [] }), 'forbidden'],
  ['create under another state_key', new Map(), ev('m.room.create', ALICE, { creator: ALICE }, { state_key: 'x', prev: [] }), 'forbidden'],
  ['create that is not a state event', new Map(), ev('m.room.create', ALICE, { creator: ALICE }, { prev: [] }), 'forbidden'],
  ['create without a creator', new Map(), ev('m.room.create', ALICE, {}, { state_key: '', prev: [] }), 'malformed'],
  ['create without prev_events at all', new Map(), { ...createEvent(), prev_events: undefined }, 'forbidden'],
  ['no create in auth: room does not exist', stateOf(member(ALICE, ALICE, 'join')), msg(ALICE), 'forbidden'],
  ['no create: even a join is rejected', new Map(), member(BOB, BOB, 'join'), 'forbidden'],
  ['missing room_id', room(), { ...msg(ALICE), room_id: undefined }, 'malformed'],
  ['missing sender', room(), { ...msg(ALICE), sender: undefined }, 'malformed'],
  ['legacy user_id accepted as sender', room(), { ...msg(ALICE), sender: undefined, user_id: ALICE }, 'allow'],
  ['overlong type', room(), { ...msg(ALICE), type: 'x'.repeat(256) }, 'malformed'],
  ['aliases from a member for its own server', room('public', ...joined(CAROL)), state('m.room.aliases', CAROL, { aliases: [] }, 'other'), 'allow'],
  ['aliases at level 0 (no power level applies)', withPowerLevels(room('public', ...joined(BOB)), pl({ state_default: 100 })), state('m.room.aliases', BOB, { aliases: [] }, 'hs'), 'allow'],
  ['aliases from a non-member are rejected', room(), state('m.room.aliases', CAROL, { aliases: [] }, 'other'), 'forbidden'],
  ['aliases from an invited user are rejected', room('invite', member(ALICE, CAROL, 'invite')), state('m.room.aliases', CAROL, { aliases: [] }, 'other'), 'forbidden'],
  ["aliases under another server's key", room('public', ...joined(CAROL)), state('m.room.aliases', CAROL, { aliases: [] }, 'hs'), 'forbidden'],
  ['aliases under the empty key', room('public'), state('m.room.aliases', ALICE, { aliases: [] }, ''), 'forbidden'],
  ['aliases without a state_key', room('public'), ev('m.room.aliases', ALICE, { aliases: [] }), 'forbidden'],
  ['m.federate false: remote sender rejected', stateOf(createEvent(ALICE, { 'm.federate': false }), ...joined(ALICE, CAROL)), msg(CAROL), 'forbidden'],
  ['m.federate false: remote join rejected', stateOf(createEvent(ALICE, { 'm.federate': false }), state('m.room.join_rules', ALICE, { join_rule: 'public' })), member(CAROL, CAROL, 'join'), 'forbidden'],
  ['m.federate false: local sender fine', stateOf(createEvent(ALICE, { 'm.federate': false }), ...joined(ALICE)), msg(ALICE), 'allow'],

  // M0
  ['creator first join right after create', stateOf(createEvent()), member(ALICE, ALICE, 'join', { prev: ['$create:hs'] }), 'allow'],
  ['non-creator cannot use M0', stateOf(createEvent()), member(BOB, BOB, 'join', { prev: ['$create:hs'] }), 'forbidden'],
  ['creator join not right after create (invite rule default)', stateOf(createEvent()), member(ALICE, ALICE, 'join', { prev: ['$other:hs'] }), 'forbidden'],

  // M3 join
  ['join a private (invite) room uninvited', room('invite'), member(BOB, BOB, 'join'), 'forbidden'],
  ['join with no join_rules event defaults to invite', stateOf(createEvent(), ...joined(ALICE)), member(BOB, BOB, 'join'), 'forbidden'],
  ['invited user can join', room('invite', member(ALICE, BOB, 'invite')), member(BOB, BOB, 'join'), 'allow'],
  ['join a public room', room('public'), member(BOB, BOB, 'join'), 'allow'],
  ['re-join while joined', room('invite', member(BOB, BOB, 'join')), member(BOB, BOB, 'join'), 'allow'],
  ['ban beats join in a public room', room('public', member(ALICE, BOB, 'ban')), member(BOB, BOB, 'join'), 'forbidden'],
  ['ban beats an invite', room('invite', member(ALICE, BOB, 'ban')), member(BOB, BOB, 'join'), 'forbidden'],
  ['cannot force another user to join', room('public'), member(ALICE, BOB, 'join'), 'forbidden'],
  ['knock join rule refuses joins', room('knock'), member(BOB, BOB, 'join'), 'forbidden'],
  ['private join rule refuses joins', room('private', member(ALICE, BOB, 'invite')), member(BOB, BOB, 'join'), 'forbidden'],

  // M1 / leave
  ['rejecting an invite is allowed', room('invite', member(ALICE, BOB, 'invite')), member(BOB, BOB, 'leave'), 'allow'],
  ['invited user cannot invite others', room('invite', member(ALICE, BOB, 'invite')), member(BOB, DAVE, 'invite'), 'forbidden'],
  ['leave when not in room', room('public'), member(BOB, BOB, 'leave'), 'forbidden'],
  ['leaving yourself', room('public', ...joined(BOB)), member(BOB, BOB, 'leave'), 'allow'],
  ['kick needs level > target', room('public', ...joined(BOB)), member(ALICE, BOB, 'leave'), 'allow'],
  ['kick at equal level fails', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 100 } })), member(ALICE, BOB, 'leave'), 'forbidden'],
  ['kick by a level-0 member fails', room('public', ...joined(BOB, DAVE)), member(BOB, DAVE, 'leave'), 'forbidden'],
  ['kick needs the kick level', withPowerLevels(room('public', ...joined(BOB, DAVE)), pl({ users: { [ALICE]: 100, [BOB]: 40 }, kick: 50 })), member(BOB, DAVE, 'leave'), 'forbidden'],
  ['unban with ban level', room('public', member(ALICE, BOB, 'ban')), member(ALICE, BOB, 'leave'), 'allow'],
  ['unban without ban level', withPowerLevels(room('public', ...joined(DAVE), member(ALICE, BOB, 'ban')), pl({ users: { [ALICE]: 100, [DAVE]: 10 }, kick: 0 })), member(DAVE, BOB, 'leave'), 'forbidden'],

  // M2 invite
  ['invite by member at default invite level 0', room('invite', ...joined(BOB)), member(BOB, DAVE, 'invite'), 'allow'],
  ['invite needs invite level', withPowerLevels(room('invite', ...joined(BOB)), pl({ invite: 50 })), member(BOB, DAVE, 'invite'), 'forbidden'],
  ['invite of a joined user', room('invite', ...joined(BOB)), member(ALICE, BOB, 'invite'), 'forbidden'],
  ['invite of a banned user', room('invite', member(ALICE, BOB, 'ban')), member(ALICE, BOB, 'invite'), 'forbidden'],
  ['re-invite is allowed by the rules', room('invite', member(ALICE, BOB, 'invite')), member(ALICE, BOB, 'invite'), 'allow'],
  ['invite from outside the room', room('invite'), member(BOB, DAVE, 'invite'), 'forbidden'],

  // M5 ban, M6
  ['ban by creator', room('public', ...joined(BOB)), member(ALICE, BOB, 'ban'), 'allow'],
  ['ban of a user not in the room', room('public'), member(ALICE, DAVE, 'ban'), 'allow'],
  ['ban without power', room('public', ...joined(BOB, DAVE)), member(BOB, DAVE, 'ban'), 'forbidden'],
  ['banning yourself fails', room('public'), member(ALICE, ALICE, 'ban'), 'forbidden'],
  ['knock membership rejected', room('public', ...joined(BOB)), member(BOB, BOB, 'knock'), 'forbidden'],
  ['unknown membership rejected', room('public', ...joined(BOB)), member(BOB, BOB, 'dance'), 'forbidden'],
  ['member event without membership', room('public'), ev('m.room.member', BOB, {}, { state_key: BOB }), 'malformed'],

  // §3.1-3.3
  ['message from a non-member', room('public'), msg(BOB), 'forbidden'],
  ['message from an invited user', room('invite', member(ALICE, BOB, 'invite')), msg(BOB), 'forbidden'],
  ['message at level 0', room('public', ...joined(BOB)), msg(BOB), 'allow'],
  ['events_default raised', withPowerLevels(room('public', ...joined(BOB)), pl({ events_default: 10 })), msg(BOB), 'forbidden'],
  ['PL needed for state events (state_default 50)', room('public', ...joined(BOB)), state('m.room.topic', BOB, { topic: 'x' }), 'forbidden'],
  ['PL needed for m.room.name (50)', room('public', ...joined(BOB)), state('m.room.name', BOB, { name: 'x' }), 'forbidden'],
  ['creator sets the name', room('public'), state('m.room.name', ALICE, { name: 'x' }), 'allow'],
  ['numeric-string levels are coerced', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: '60' } })), state('m.room.topic', BOB, { topic: 'x' }), 'allow'],
  ['explicit users[x]=0 beats users_default', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 0 }, users_default: 60 })), state('m.room.topic', BOB, { topic: 'x' }), 'forbidden'],
  ['users_default applies to absent users', withPowerLevels(room('public', ...joined(BOB)), pl({ users_default: 60 })), state('m.room.topic', BOB, { topic: 'x' }), 'allow'],
  ['no PL event: everyone joined may send state', stateOf(createEvent(), ...joined(ALICE, BOB)), state('m.room.topic', BOB, { topic: 'x' }), 'allow'],
  ['state_key "@" owned by the sender', room('public'), state('org.x', ALICE, {}, ALICE), 'allow'],
  ["state_key '@' of someone else", room('public'), state('org.x', ALICE, {}, BOB), 'forbidden'],

  // §3.4 power levels
  ['first PL event is unrestricted', stateOf(createEvent(), ...joined(ALICE)), state('m.room.power_levels', ALICE, pl({ users: { [ALICE]: 100, [BOB]: 100 } })), 'allow'],
  ['PL users keys must be user IDs', room('public'), state('m.room.power_levels', ALICE, pl({ users: { bob: 10 } })), 'malformed'],
  ['PL users values must be int-able', room('public'), state('m.room.power_levels', ALICE, pl({ users: { [ALICE]: 'lots' } })), 'malformed'],
  ['creator promotes a user below own level', room('public', ...joined(BOB)), state('m.room.power_levels', ALICE, pl({ users: { [ALICE]: 100, [BOB]: 99 } })), 'allow'],
  ['cannot raise PL above own', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 100 }, events: { 'm.room.power_levels': 50 } })), state('m.room.power_levels', ALICE, pl({ users: { [ALICE]: 101, [BOB]: 100 } })), 'forbidden'],
  ['cannot raise a user above own', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 60 }, events: { 'm.room.power_levels': 50 } })), state('m.room.power_levels', BOB, pl({ users: { [ALICE]: 100, [BOB]: 60, [DAVE]: 70 }, events: { 'm.room.power_levels': 50 } })), 'forbidden'],
  ['cannot demote a peer at own level', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 100 } })), state('m.room.power_levels', ALICE, pl({ users: { [ALICE]: 100, [BOB]: 0 } })), 'forbidden'],
  ['may demote yourself', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 100 } })), state('m.room.power_levels', ALICE, pl({ users: { [ALICE]: 50, [BOB]: 100 } })), 'allow'],
  ['cannot lower an event level above own', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 60 }, events: { 'm.room.power_levels': 50, 'x.high': 80 } })), state('m.room.power_levels', BOB, pl({ users: { [ALICE]: 100, [BOB]: 60 }, events: { 'm.room.power_levels': 50 } })), 'forbidden'],
  ['removing ban (50) needs level 50', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 40 }, events: { 'm.room.power_levels': 0 } })), state('m.room.power_levels', BOB, { ...pl({ users: { [ALICE]: 100, [BOB]: 40 }, events: { 'm.room.power_levels': 0 } }), ban: undefined }), 'forbidden'],
  ['old PL without users/events treated as {}', withPowerLevels(room('public'), { ban: 50, users_default: 100 }), state('m.room.power_levels', ALICE, { users: { [ALICE]: 0 } }), 'allow'],
  ['PL event needs its send level (100)', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 60 } })), state('m.room.power_levels', BOB, pl({ users: { [ALICE]: 100, [BOB]: 60 } })), 'forbidden'],

  // §3.5 redaction
  ['redaction with redact level', room('public'), ev('m.room.redaction', ALICE, {}, { redacts: '$x:other' }), 'allow'],
  ['redaction at level 0 of a remote event', room('public', ...joined(BOB)), ev('m.room.redaction', BOB, {}, { redacts: '$x:other' }), 'forbidden'],
  ['redaction at level 0 of an own-server event', room('public', ...joined(BOB)), ev('m.room.redaction', BOB, {}, { redacts: '$x:hs', event_id: '$r:hs' }), 'allow'],
  ['own-server rule compares event_id domains', room('public', ...joined(CAROL)), ev('m.room.redaction', CAROL, {}, { redacts: '$x:hs', event_id: '$r:other' }), 'forbidden'],
  ['own-server rule: a foreign redaction id claiming our server', room('public', ...joined(CAROL)), ev('m.room.redaction', CAROL, {}, { redacts: '$x:hs', event_id: '$r:hs' }), 'forbidden'],
  ['redaction level exactly met (>=)', withPowerLevels(room('public', ...joined(BOB)), pl({ users: { [ALICE]: 100, [BOB]: 50 } })), ev('m.room.redaction', BOB, {}, { redacts: '$x:other' }), 'allow'],
  ['redaction from a non-member', room('public'), ev('m.room.redaction', BOB, {}, { redacts: '$x:hs' }), 'forbidden'],
];

// Redactions whose target we hold: the rule compares the redacted event's sender's server.
const aliceMsg = msg(ALICE);
const carolMsg = msg(CAROL);
const forgedId = { ...msg(CAROL), event_id: '$forged:hs' }; // an id in our name on a remote user's event
const redactionCases: [string, StateMap<JsonObject>, JsonObject, JsonObject, Expect][] = [
  ['level 0: redacting an event of your own server', room('public', ...joined(BOB)), ev('m.room.redaction', BOB, {}, { redacts: aliceMsg.event_id as string }), aliceMsg, 'allow'],
  ["level 0: another server's user's event", room('public', ...joined(CAROL)), ev('m.room.redaction', CAROL, {}, { redacts: aliceMsg.event_id as string }), aliceMsg, 'forbidden'],
  ['level 0: the target id names our server but its sender is remote', room('public', ...joined(BOB)), ev('m.room.redaction', BOB, {}, { redacts: '$forged:hs' }), forgedId, 'forbidden'],
  ['level 0: remote user redacting an event of its server', room('public', ...joined(CAROL)), ev('m.room.redaction', CAROL, {}, { redacts: carolMsg.event_id as string }), carolMsg, 'allow'],
  ['redact level: any event', room('public', ...joined(CAROL)), ev('m.room.redaction', ALICE, {}, { redacts: carolMsg.event_id as string }), carolMsg, 'allow'],
];
for (const [name, auth, event, redacted, expected] of redactionCases) {
  t.test(`redaction with the target known: ${name}`, async (t) => {
    if (expected === 'allow') return void t.doesNotThrow(() => checkEventAuth(event, auth, { redacted }));
    const err = catchError(() => checkEventAuth(event, auth, { redacted }));
    t.type(err, AuthError);
    t.equal((err as AuthError).reason, expected);
  });
}

for (const [name, auth, event, expected] of cases) {
  t.test(name, async (t) => {
    if (expected === 'allow') {
      t.doesNotThrow(() => checkEventAuth(event, auth));
      return;
    }
    const err = catchError(() => checkEventAuth(event, auth));
    t.type(err, AuthError);
    t.equal((err as AuthError).reason, expected, (err as Error).message);
    t.notOk('status' in (err as object), 'no HTTP status in the core');
  });
}

t.test('checkEventSize', async (t) => {
  t.doesNotThrow(() => checkEventSize(msg(ALICE)));
  t.throws(() => checkEventSize({ ...msg(ALICE), sender: '@' + 'a'.repeat(300) + ':hs' }), EventTooLargeError);
  t.throws(() => checkEventSize({ ...msg(ALICE), content: { body: 'x'.repeat(70000) } }), EventTooLargeError);
  const err = catchError(() => checkEventSize({ ...msg(ALICE), state_key: 'k'.repeat(256) })) as EventTooLargeError;
  t.type(err, AuthError, 'a rule of the core like the others');
  t.equal(err.reason, 'too_large');
  t.notOk('status' in err || 'errcode' in err, 'no HTTP status or errcode in the core');
});

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
