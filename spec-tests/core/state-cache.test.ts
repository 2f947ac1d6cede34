// The room-state caches of storage/state.ts against a real SQLite database: membership caches
// updated in place must never keep a rolled-back write, and state groups made one entry at a
// time must read back exactly from SQLite once the cache is gone.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { withStateEntry, type StateIds } from '../../src/storage/state.js';
import { stateKey } from '../../src/events/index.js';

const ROOM = '!room:hs';

function storage(t: { teardown(fn: () => void): void }): Storage {
  const dir = mkdtempSync(join(tmpdir(), 'hs-state-'));
  const s = openStorage(join(dir, 'hs.db'));
  t.teardown(() => {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}

function join_(s: Storage, user: string, membership = 'join'): void {
  s.state.setCurrentStateEntry(ROOM, 'm.room.member', user, `$${user}-${membership}`, membership);
}

t.test('a membership written in a transaction that rolls back never shows in the cached members', async (t) => {
  const s = storage(t);
  join_(s, '@a:hs');
  t.same(s.state.membersWith(ROOM, 'join'), ['@a:hs'], 'loaded into the cache');
  t.throws(() => s.transaction(() => {
    join_(s, '@b:other');
    t.equal(s.state.membershipOf(ROOM, '@b:other'), 'join', 'visible inside its own transaction');
    throw new Error('roll back');
  }));
  t.same(s.state.membersWith(ROOM, 'join'), ['@a:hs']);
  t.equal(s.state.membershipOf(ROOM, '@b:other'), null);
  t.same(s.state.joinedServers(ROOM), ['hs']);
  t.equal(s.state.memberCount(ROOM, 'join'), 1);
});

t.test('a rolled-back membership is not seen by the next transaction either', async (t) => {
  const s = storage(t);
  join_(s, '@a:hs');
  s.state.membersWith(ROOM, 'join');
  t.throws(() => s.transaction(() => {
    join_(s, '@b:hs');
    throw new Error('roll back');
  }));
  s.transaction(() => {
    t.equal(s.state.membershipOf(ROOM, '@b:hs'), null, 'read inside the next transaction');
    join_(s, '@c:hs');
  });
  t.same([...s.state.membersWith(ROOM, 'join')].sort(), ['@a:hs', '@c:hs']);
});

t.test('committed membership changes update the cached members, counts and servers in place', async (t) => {
  const s = storage(t);
  join_(s, '@a:hs');
  t.same(s.state.joinedServers(ROOM), ['hs']);
  s.transaction(() => join_(s, '@b:other'));
  t.same([...s.state.joinedServers(ROOM)].sort(), ['hs', 'other']);
  s.transaction(() => join_(s, '@b:other', 'leave'));
  t.same(s.state.joinedServers(ROOM), ['hs']);
  t.same(s.state.membersWith(ROOM, 'leave'), ['@b:other']);
  t.equal(s.state.memberCount(ROOM, 'join'), 1);
  t.same(s.state.joinedRoomIds('@a:hs'), [ROOM]);
  t.same(s.state.joinedRoomIds('@b:other'), []);
});

t.test('state groups made one entry at a time store one row each and read back exactly from SQLite', async (t) => {
  const s = storage(t);
  let ids: StateIds = new Map([[stateKey('m.room.create', ''), '$create']]);
  for (let i = 0; i < 300; i++) ids = withStateEntry(ids, stateKey('m.room.member', `@u${i}:hs`), `$j${i}`);
  let group = s.transaction(() => s.state.createGroup(ROOM, ids, null));
  const expected: StateIds[] = [];
  const groups: number[] = [];
  for (let i = 0; i < 400; i++) {
    // Joins of new members and changes of existing ones.
    const next = withStateEntry(ids, stateKey('m.room.member', `@u${i % 350}:hs`), `$k${i}`);
    group = s.transaction(() => s.state.createGroup(ROOM, next, group));
    ids = next;
    expected.push(ids);
    groups.push(group);
  }
  const rows = s.db.prepare('SELECT count(*) AS n FROM state_groups_state WHERE state_group = ?').get(groups[10]) as { n: number };
  t.equal(rows.n, 1, 'a one-entry change stores one row');
  s.state.dropCaches();
  for (const i of [0, 10, 199, 200, 399]) {
    const back = s.state.getGroup(groups[i]);
    t.same(new Map([...back].sort()), new Map([...expected[i]].sort()), `group ${i} reads back`);
    t.equal(back.size, expected[i].size);
  }
  t.equal(expected[399].size, 351, 'create + 350 members');
});

t.test('a state map made by withStateEntry is read-only and leaves its source as it was', async (t) => {
  const a: StateIds = new Map([['k1', '$1']]);
  const b = withStateEntry(a, 'k2', '$2');
  const c = withStateEntry(b, 'k1', '$3');
  t.same([...a], [['k1', '$1']]);
  t.same([...b], [['k1', '$1'], ['k2', '$2']]);
  t.same([...c], [['k1', '$3'], ['k2', '$2']]);
  t.equal(c.size, 2);
  t.throws(() => c.set('k9', '$9'));
  t.same(new Map(c), new Map([['k1', '$3'], ['k2', '$2']]), 'copies like a Map');
});
