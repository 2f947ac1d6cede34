import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, migrate } from '../../src/storage/db.js';

const MIGRATIONS = join(import.meta.dirname, '..', '..', 'migrations');

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-db-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a new database gets every migration, in order, recorded in schema_migrations', async (t) => {
  const dir = tempDir(t);
  const db = openDatabase(join(dir, 'hs.db'));
  t.teardown(() => db.close());
  const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as { version: number; name: string }[];
  t.ok(rows.length >= 1);
  t.equal(rows[0].name, '0001_initial.sql');
  t.same(rows.map((r) => r.version), [...rows.map((r) => r.version)].sort((a, b) => a - b));
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal', 'WAL journal');
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  for (const table of ['events', 'event_edges', 'current_state_events', 'state_groups', 'users', 'access_tokens', 'room_aliases',
    'federation_outbound_queue', 'appservice_queue', 'local_media']) {
    t.ok(tables.includes(table), `table ${table}`);
  }
});

t.test('reopening applies nothing twice', async (t) => {
  const dir = tempDir(t);
  openDatabase(join(dir, 'hs.db')).close();
  const db = openDatabase(join(dir, 'hs.db'));
  t.teardown(() => db.close());
  t.same(migrate(db), [], 'no migration applied on the second open');
});

t.test('a database from an older version upgrades in place and keeps its data', async (t) => {
  const dir = tempDir(t);
  const old = join(dir, 'old-migrations');
  mkdirSync(old);
  copyFileSync(join(MIGRATIONS, '0001_initial.sql'), join(old, '0001_initial.sql'));
  // Simulate "version 1": a fresh db that only knows 0001 and has data in it.
  const file = join(dir, 'hs.db');
  const v1 = openDatabase(file, old);
  v1.prepare("INSERT INTO users (user_id, password_hash, created_ts) VALUES ('@alice:localhost', NULL, 1)").run();
  v1.close();
  const newer = join(dir, 'new-migrations');
  mkdirSync(newer);
  copyFileSync(join(old, '0001_initial.sql'), join(newer, '0001_initial.sql'));
  writeFileSync(join(newer, '0002_add_column.sql'), 'ALTER TABLE users ADD COLUMN deactivated INTEGER NOT NULL DEFAULT 0;');
  const v2 = openDatabase(file, newer);
  t.teardown(() => v2.close());
  const row = v2.prepare('SELECT user_id, deactivated FROM users').get() as { user_id: string; deactivated: number };
  t.same(row, { user_id: '@alice:localhost', deactivated: 0 }, 'old rows survive, new column has its default');
  t.same((v2.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version), [1, 2]);
});

t.test('a failing migration leaves the database as it was', async (t) => {
  const dir = tempDir(t);
  const migrations = join(dir, 'm');
  mkdirSync(migrations);
  copyFileSync(join(MIGRATIONS, '0001_initial.sql'), join(migrations, '0001_initial.sql'));
  writeFileSync(join(migrations, '0002_broken.sql'), 'CREATE TABLE t2 (a INTEGER); THIS IS NOT SQL;');
  const file = join(dir, 'hs.db');
  t.throws(() => openDatabase(file, migrations));
  const db = openDatabase(file, join(MIGRATIONS));
  t.teardown(() => db.close());
  const t2 = db.prepare("SELECT name FROM sqlite_master WHERE name = 't2'").get();
  t.equal(t2, undefined, 'the half-applied migration was rolled back');
});

