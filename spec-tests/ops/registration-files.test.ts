// Registration files and the config are strict: a typo stops start-up with one line naming the
// file, the key and the exact entry.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { runCli } from '../helpers/process.js';
import { defaultConfigText } from '../../src/config-template.js';

const good = {
  id: 'bridge', url: 'http://127.0.0.1:9', as_token: 'a', hs_token: 'h', sender_localpart: 'bot',
  namespaces: { users: [{ exclusive: true, regex: '@irc_.*' }], aliases: [], rooms: [] },
};

async function startWith(t: any, reg: unknown): Promise<{ code: number | null; line: string; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-reg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'registration.yaml');
  writeFileSync(file, typeof reg === 'string' ? reg : YAML.stringify(reg));
  const cfg = { ...YAML.parse(defaultConfigText({ serverName: 'localhost:1', port: 0 })), app_service_config_files: [file] };
  writeFileSync(join(dir, 'homeserver.yaml'), YAML.stringify(cfg));
  const run = runCli(['--config', 'homeserver.yaml'], dir);
  const code = await run.exit;
  // (a generated signing key may be logged first)
  const errors = run.output().trim().split('\n').filter((l) => !l.startsWith('{'));
  t.equal(errors.length, 1, 'one error line, no stack trace');
  t.match(errors[0], /^config error: /);
  return { code, line: errors[0], file };
}

t.test('an unknown key in a registration file is refused, naming the key and the file', async (t) => {
  const r = await startWith(t, { ...good, rate_limted: true });
  t.equal(r.code, 1);
  t.match(r.line, /unknown key 'rate_limted'/);
  t.ok(r.line.includes(r.file), 'names the file');
});

t.test('a bad namespace entry is named exactly: namespaces.users[1]', async (t) => {
  const r = await startWith(t, { ...good, namespaces: { users: [{ exclusive: true, regex: '@a_.*' }, { regex: '@b_.*' }] } });
  t.equal(r.code, 1);
  t.match(r.line, /namespaces\.users\[1\]: missing required key 'exclusive'/);
  const extra = await startWith(t, { ...good, namespaces: { aliases: [{ exclusive: true, regex: '#a_.*', exlusive: false }] } });
  t.match(extra.line, /namespaces\.aliases\[0\]: unknown key 'exlusive'/);
  const kind = await startWith(t, { ...good, namespaces: { user: [] } });
  t.match(kind.line, /namespaces: unknown key 'user'/);
});

t.test('a key given twice (a block pasted under `key: []`) names the key, both lines and the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-dup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const text = defaultConfigText({ serverName: 'localhost:1', port: 0 }) + '\napp_service_config_files:\n  - "examples/registration.yaml"\n';
  const file = join(dir, 'homeserver.yaml');
  writeFileSync(file, text);
  const run = runCli(['--config', file], dir);
  t.equal(await run.exit, 1);
  const out = run.output().trim();
  t.equal(out.split('\n').length, 1);
  t.match(out, /key 'app_service_config_files' appears twice \(lines \d+ and \d+\)/);
  t.ok(out.includes(file), 'names the file');

  const reg = await startWith(t, 'url: "http://127.0.0.1:9"\nas_token: a\nhs_token: h\nsender_localpart: bot\nnamespaces: {}\nas_token: b\n');
  t.match(reg.line, /registration\.yaml: cannot read application service registration: key 'as_token' appears twice/);
});
