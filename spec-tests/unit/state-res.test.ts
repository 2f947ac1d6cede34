import t from 'tap';
import { createHash } from 'node:crypto';
import { orderEvents, resolveState, stateKey, type JsonObject, type StateMap } from '../../src/events/index.js';
import { ev, member, stateOf } from './fixtures/room.js';

const U1 = '@u1:hs';
const U2 = '@u2:hs';
const ids = (m: StateMap<JsonObject>) => [...m.values()].map((e) => e.event_id).sort();

// §6.6, from Synapse v0.11 test_branch_have_perms_conflict.
t.test('worked example §6.6: B wins the PL conflict, so C cannot win the name', async (t) => {
  const A1 = ev('m.room.create', U1, { creator: U1 }, { state_key: '', event_id: '$A1:hs', depth: 1, prev: [] });
  const A2 = member(U1, U1, 'join', { event_id: '$A2:hs', depth: 2, prev: ['$A1:hs'] });
  const A3 = member(U2, U2, 'join', { event_id: '$A3:hs', depth: 3, prev: ['$A2:hs'] });
  const A4 = ev('m.room.power_levels', U1, { events: { 'm.room.name': 50 }, users: { [U1]: 100, [U2]: 60 } },
    { state_key: '', event_id: '$A4:hs', depth: 4 });
  const A5 = ev('m.room.name', U1, { name: 'A5' }, { state_key: '', event_id: '$A5:hs', depth: 5 });
  const B = ev('m.room.power_levels', U1, { events: { 'm.room.name': 50 }, users: { [U2]: 30 } },
    { state_key: '', event_id: '$B:hs', depth: 6 });
  const C = ev('m.room.name', U2, { name: 'C' }, { state_key: '', event_id: '$C:hs', depth: 6 });

  const afterB = stateOf(A1, A2, A3, B, A5);
  const afterC = stateOf(A1, A2, A3, A4, C);
  const expected = ['$A1:hs', '$A2:hs', '$A3:hs', '$A5:hs', '$B:hs'];
  t.same(ids(resolveState([afterB, afterC])), expected);
  t.same(ids(resolveState([afterC, afterB])), expected, 'order of the sets does not matter');
  t.equal(resolveState([afterB, afterC]).get(stateKey('m.room.name', ''))?.event_id, '$A5:hs');
});

t.test('unconflicted merge: absence is not a conflict', async (t) => {
  const create = ev('m.room.create', U1, { creator: U1 }, { state_key: '', event_id: '$c:hs', depth: 1, prev: [] });
  const j1 = member(U1, U1, 'join', { event_id: '$j1:hs', depth: 2 });
  const topic = ev('m.room.topic', U1, { topic: 't' }, { state_key: '', event_id: '$t:hs', depth: 3 });
  const j2 = member(U2, U2, 'join', { event_id: '$j2:hs', depth: 3 });
  const out = resolveState([stateOf(create, j1, topic), stateOf(create, j1, j2), stateOf(create)]);
  t.same(ids(out), ['$c:hs', '$j1:hs', '$j2:hs', '$t:hs']);
});

t.test('fast paths return copies', async (t) => {
  const s = stateOf(ev('m.room.create', U1, { creator: U1 }, { state_key: '', event_id: '$c:hs' }));
  const one = resolveState([s]);
  t.not(one, s);
  t.same(ids(one), ['$c:hs']);
  const same = resolveState([s, new Map(s), new Map(s)]);
  t.not(same, s);
  t.same(ids(same), ['$c:hs']);
  t.equal(resolveState([]).size, 0);
});

t.test('normal resolution: highest depth that passes auth, else the lowest', async (t) => {
  const create = ev('m.room.create', U1, { creator: U1 }, { state_key: '', event_id: '$c:hs', depth: 1, prev: [] });
  const j1 = member(U1, U1, 'join', { event_id: '$j1:hs', depth: 2 });
  const low = ev('m.room.topic', U1, { topic: 'low' }, { state_key: '', event_id: '$low:hs', depth: 3 });
  const high = ev('m.room.topic', U1, { topic: 'high' }, { state_key: '', event_id: '$high:hs', depth: 9 });
  const key = stateKey('m.room.topic', '');
  t.equal(resolveState([stateOf(create, j1, low), stateOf(create, j1, high)]).get(key)?.event_id, '$high:hs');
  // U2 is not joined, so neither topic passes; the lowest-ordered one still wins.
  const lowU2 = { ...low, sender: U2 };
  const highU2 = { ...high, sender: U2 };
  t.equal(resolveState([stateOf(create, j1, lowU2), stateOf(create, j1, highU2)]).get(key)?.event_id, '$low:hs');
});

t.test('member conflict: auth-resolution stops at the first unauthorised candidate', async (t) => {
  const create = ev('m.room.create', U1, { creator: U1 }, { state_key: '', event_id: '$c:hs', depth: 1, prev: [] });
  const j1 = member(U1, U1, 'join', { event_id: '$j1:hs', depth: 2 });
  const rules = ev('m.room.join_rules', U1, { join_rule: 'invite' }, { state_key: '', event_id: '$jr:hs', depth: 3 });
  const invite = member(U1, U2, 'invite', { event_id: '$inv:hs', depth: 4 });
  const join = member(U2, U2, 'join', { event_id: '$join:hs', depth: 5 });
  const ban = member(U1, U2, 'ban', { event_id: '$ban:hs', depth: 6 });
  const base = [create, j1, rules];
  const key = stateKey('m.room.member', U2);
  t.equal(resolveState([stateOf(...base, invite), stateOf(...base, join)]).get(key)?.event_id, '$join:hs',
    'invite then join is a valid chain');
  // Walking up: ban (depth 6) is checked with the join in place: U1 may ban U2, so ban wins.
  t.equal(resolveState([stateOf(...base, join), stateOf(...base, ban)]).get(key)?.event_id, '$ban:hs');
  // A join after a ban is not authorised: the walk stops at the ban.
  const lateJoin = { ...join, event_id: '$late:hs', depth: 7 };
  t.equal(resolveState([stateOf(...base, ban), stateOf(...base, lateJoin)]).get(key)?.event_id, '$ban:hs');
});

t.test('ordering: -depth, then sha1 hex of event_id', async (t) => {
  const sha = (s: string) => createHash('sha1').update(s).digest('hex');
  const evs = ['$a:hs', '$b:hs', '$c:hs', '$d:hs'].map((id) => ({ event_id: id, depth: 5 }));
  const deeper = { event_id: '$z:hs', depth: 6 };
  const ordered = orderEvents([...evs, deeper]).map((e) => e.event_id);
  t.equal(ordered[0], '$z:hs');
  t.same(ordered.slice(1), [...evs].sort((x, y) => (sha(x.event_id) < sha(y.event_id) ? -1 : 1)).map((e) => e.event_id));
});
