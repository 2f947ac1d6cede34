// The one history-visibility function (events/visibility.ts) for users, peekers and servers,
// as data: the event, the state before it, and who asks (client-api-v1.md §2.10, federation-v1.md §3.3).
import t from 'tap';
import { isEventVisible, lazyStateView, stateKey, type JsonObject, type Viewer } from '../../src/events/index.js';

const ALICE = '@alice:a';
const BOB = '@bob:b';
const CAROL = '@carol:c';
const member = (user: string, membership: string): [string, JsonObject] =>
  [stateKey('m.room.member', user), { event_id: `$m-${user}-${membership}:x`, type: 'm.room.member', state_key: user, content: { membership } }];
const hv = (history_visibility: string): [string, JsonObject] =>
  [stateKey('m.room.history_visibility', ''), { type: 'm.room.history_visibility', state_key: '', content: { history_visibility } }];
const state = (...entries: [string, JsonObject][]) => new Map(entries);
const msg = (sender = ALICE) => ({ type: 'm.room.message', sender });

type Row = [string, Viewer, Map<string, JsonObject> | null, boolean, { type: string; sender: string; state_key?: string; content?: JsonObject }?];
const rows: Row[] = [
  // users
  ['a member sees everything', { user: BOB }, state(hv('joined'), member(BOB, 'join')), true],
  ['joined: a non-member sees nothing', { user: BOB }, state(hv('joined'), member(BOB, 'invite')), false],
  ['invited: an invited user sees it', { user: BOB }, state(hv('invited'), member(BOB, 'invite')), true],
  ['invited: a user who left does not', { user: BOB }, state(hv('invited'), member(BOB, 'leave')), false],
  ['shared: anyone with the event sees it', { user: BOB }, state(hv('shared')), true],
  ['no history_visibility means shared', { user: BOB }, state(), true],
  ['an unknown value is visible', { user: BOB }, state(hv('sometimes')), true],
  ['world_readable: visible', { user: BOB }, state(hv('world_readable')), true],
  ['the history_visibility event itself is always visible', { user: BOB }, state(hv('joined')), true, { type: 'm.room.history_visibility', sender: ALICE, state_key: '' }],
  ["a user's own events are theirs", { user: BOB }, state(hv('joined')), true, msg(BOB)],
  ["a user's own membership event is theirs", { user: BOB }, state(hv('joined')), true, { type: 'm.room.member', sender: ALICE, state_key: BOB }],
  ['no state known (backfilled): shared', { user: BOB }, null, true],
  ['a forgotten join no longer opens history', { user: BOB, forgot: (id) => id === `$m-${BOB}-join:x` }, state(hv('joined'), member(BOB, 'join')), false],
  ['a forgotten invite no longer opens invited history', { user: BOB, forgot: () => true }, state(hv('invited'), member(BOB, 'invite')), false],
  ['forgetting another membership changes nothing', { user: BOB, forgot: (id) => id === 'other' }, state(hv('joined'), member(BOB, 'join')), true],
  // peekers
  ['a peeker sees world_readable history', { peeking: true }, state(hv('world_readable')), true],
  ['a peeker sees nothing shared', { peeking: true }, state(hv('shared')), false],
  ['a peeker sees nothing without state', { peeking: true }, null, false],
  ['a peeker sees the event that made the room world_readable', { peeking: true }, state(hv('shared')), true,
    { type: 'm.room.history_visibility', sender: ALICE, state_key: '', content: { history_visibility: 'world_readable' } }],
  ['a peeker does not see a history_visibility event that is not world_readable', { peeking: true }, state(hv('shared')), false,
    { type: 'm.room.history_visibility', sender: ALICE, state_key: '', content: { history_visibility: 'joined' } }],
  // servers
  ['shared: every server', { server: 'c' }, state(hv('shared')), true],
  ['no state known: every server', { server: 'c' }, null, true],
  ['joined: a server with a joined member', { server: 'b' }, state(hv('joined'), member(BOB, 'join')), true],
  ['joined: a server with only an invited member', { server: 'b' }, state(hv('joined'), member(BOB, 'invite')), false],
  ['invited: a server with an invited member', { server: 'b' }, state(hv('invited'), member(BOB, 'invite')), true],
  ['joined: another server', { server: 'c' }, state(hv('joined'), member(BOB, 'join'), member(ALICE, 'join')), false],
  ['joined: a server name that is only a prefix of a member\'s', { server: 'c' }, state(hv('joined'), member('@x:c:8448', 'join')), false],
  ['joined: a member of a server with a port', { server: 'c:8448' }, state(hv('joined'), member('@x:c:8448', 'join')), true],
  ['joined: a server whose member left', { server: 'c' }, state(hv('joined'), member(CAROL, 'leave')), false],
  ['joined: the history_visibility event is not special for servers', { server: 'c' }, state(hv('joined')), false, { type: 'm.room.history_visibility', sender: ALICE, state_key: '' }],
];
for (const [name, viewer, st, want, event] of rows) {
  t.test(`visibility: ${name}`, async (t) => t.equal(isEventVisible(event ?? msg(), st, viewer), want));
}

t.test('lazyStateView loads only the events the rules read', async (t) => {
  const events = new Map<string, JsonObject>([hv('joined'), member(BOB, 'join'), member(CAROL, 'join')].map(([k, e], i) => [`$${i}`, { ...e, key: k }]));
  const ids = new Map([...events].map(([id, e]) => [e.key as string, id]));
  const loaded: string[] = [];
  const view = lazyStateView(ids, (id) => (loaded.push(id), events.get(id)));
  t.equal(isEventVisible(msg(), view, { user: BOB }), true);
  t.same(loaded.sort(), ['$1'], "a member's check reads their membership only");
  loaded.length = 0;
  t.equal(isEventVisible(msg(), view, { server: 'b' }), true);
  t.notOk(loaded.includes('$2'), "a server's check does not load other servers' members");
});
