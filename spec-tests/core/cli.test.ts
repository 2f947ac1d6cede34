import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import YAML from 'yaml';
import { runCli } from '../helpers/process.js';
import { freePort, http } from '../helpers/server.js';
import { canonicalJson, decodeBase64 } from '../../src/crypto/index.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('--generate-config writes a commented config and a signing key, then exits', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const run = runCli(['--config', 'hs.yaml', '--generate-config', '--server-name', `localhost:${port}`, '--port', String(port)], dir);
  t.equal(await run.exit, 0, run.output());
  const text = readFileSync(join(dir, 'hs.yaml'), 'utf8');
  t.match(text, /^# /m, 'the config is commented');
  const cfg = YAML.parse(text);
  t.equal(cfg.server_name, `localhost:${port}`);
  t.equal(cfg.port, port);
  const keyFile = readFileSync(join(dir, cfg.signing_key_path), 'utf8');
  t.match(keyFile, /^ed25519 auto [A-Za-z0-9+/]{43}\n?$/, 'the key file is in Synapse format');
  const again = runCli(['--config', 'hs.yaml', '--generate-config', '--server-name', 'other'], dir);
  t.equal(await again.exit, 1, 'refuses to overwrite an existing config');
  t.match(again.output(), /already exists/);
});

t.test('first start writes a default config and key, serves a self-signed key response, stops on SIGTERM', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const run = runCli(['--config', 'homeserver.yaml', '--server-name', `localhost:${port}`, '--port', String(port)], dir);
  t.teardown(() => run.kill('SIGKILL'));
  await run.ready;
  t.ok(existsSync(join(dir, 'homeserver.yaml')), 'config written');
  t.match(run.output(), /no config found: wrote a commented default/);
  t.match(run.output(), /generated a new signing key/);

  const res = await http(`http://127.0.0.1:${port}`, 'GET', '/_matrix/key/v2/server');
  t.equal(res.status, 200);
  const body = res.body;
  t.equal(body.server_name, `localhost:${port}`);
  const keyId = Object.keys(body.verify_keys)[0];
  const pub = decodeBase64(body.verify_keys[keyId].key);
  const sig = decodeBase64(body.signatures[`localhost:${port}`][keyId]);
  const { signatures: _s, ...unsigned } = body;
  t.ok(nacl.sign.detached.verify(Buffer.from(canonicalJson(unsigned)), sig, pub), 'signature verifies with tweetnacl');
  t.ok(body.valid_until_ts > Date.now(), 'valid_until_ts is in the future');

  run.kill('SIGTERM');
  t.equal(await run.exit, 0, 'clean exit on SIGTERM');
  t.match(run.output(), /shutting down/);
});

t.test('a bad config fails start-up with one line naming the key and the file', async (t) => {
  const dir = tempDir(t);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown key', { server_name: 'localhost', sevrer_port: 1 }, /unknown key 'sevrer_port'/],
    ['nested unknown key', { server_name: 'localhost', database: { pth: 'x.db' } }, /unknown key 'database\.pth'/],
    ['wrong type', { server_name: 'localhost', port: 'eighty' }, /bad value for 'port'/],
    ['missing server_name', { port: 8008 }, /missing required key 'server_name'/],
    ['bad log level', { server_name: 'localhost', log_level: 'loud' }, /bad value for 'log_level'/],
  ];
  for (const [name, cfg, expected] of cases) {
    const file = join(dir, `${name.replace(/\s/g, '-')}.yaml`);
    writeFileSync(file, YAML.stringify(cfg));
    const run = runCli(['--config', file], dir);
    t.equal(await run.exit, 1, `${name}: exits 1`);
    const lines = run.output().trim().split('\n');
    t.equal(lines.length, 1, `${name}: one line, no stack trace`);
    t.match(lines[0], expected, `${name}: names the key`);
    t.ok(lines[0].includes(file), `${name}: names the file`);
  }
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'server_name: [unclosed\n');
  const run = runCli(['--config', broken], dir);
  t.equal(await run.exit, 1);
  t.match(run.output().trim(), /^config error: .*broken\.yaml: cannot read config/);
});
