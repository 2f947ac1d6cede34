// `npm start` as a supervisor runs it: SIGTERM goes to the npm process, not to a process group.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultConfigText } from '../../src/config-template.js';
import { freePort, http } from '../helpers/server.js';

t.setTimeout(90_000);
const ROOT = join(import.meta.dirname, '..', '..');

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} sent to the npm process stops the server gracefully: port released, database closed, exit 0`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-signal-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const configPath = join(dir, 'homeserver.yaml');
    writeFileSync(configPath, defaultConfigText({ serverName: `localhost:${port}`, port }));
    const npm = spawn('npm', ['start', '--silent', '--', '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const ready = new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('homeserver running')) resolve();
      };
      npm.stdout!.on('data', onData);
      npm.stderr!.on('data', onData);
    });
    const exited = once(npm, 'exit');
    t.teardown(() => {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    });
    await Promise.race([ready, exited.then(() => { throw new Error(`exited early:\n${out}`); })]);
    const reg = await http(`http://127.0.0.1:${port}`, 'POST', '/_matrix/client/api/v1/register', {
      body: { type: 'm.login.password', user: 'alice', password: 'wonderland' },
    });
    t.equal(reg.status, 200, 'the server answers');

    npm.kill(signal); // the npm process only, as docker stop or systemd would
    const [code] = await exited;
    t.equal(code, 0, 'npm exits 0');
    // The server child may outlive npm by a moment: wait for its port rather than sleeping.
    let free = false;
    for (let i = 0; i < 200 && !free; i++) {
      free = await portIsFree(port);
      if (!free) await new Promise((r) => setTimeout(r, 50));
    }
    t.ok(free, 'the port is released (no orphaned server)');
    t.match(out, /shutting down/, 'the server saw the signal');
    const dbPath = join(dir, `localhost_${port}.db`);
    t.notOk(existsSync(`${dbPath}-wal`), 'no -wal file left: the database was closed cleanly');
    const db = new Database(dbPath, { readonly: true });
    t.equal((db.prepare('SELECT count(*) AS n FROM users WHERE user_id = ?').get(`@alice:localhost:${port}`) as { n: number }).n, 1);
    db.close();
  });
}
