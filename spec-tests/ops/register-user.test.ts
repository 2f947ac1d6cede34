// `npm run register-user`: an account created from the command line against a running server.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { startServer, Client, http } from '../helpers/server.js';

const ROOT = join(import.meta.dirname, '..', '..');

async function registerUser(args: string[], stdin?: string): Promise<{ code: number | null; out: string }> {
  const child = spawn('npm', ['run', '--silent', 'register-user', '--', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  if (stdin !== undefined) child.stdin.write(stdin);
  child.stdin.end();
  const [code] = await once(child, 'exit');
  return { code: code as number | null, out };
}

t.test('register-user reads the shared secret from the config, creates an admin, and the admin has admin rights', async (t) => {
  const server = await startServer({ config: { registration_shared_secret: 'cli-secret', enable_registration: false } });
  t.teardown(() => server.close());
  const r = await registerUser(['--user', 'root', '--password', 'hunter2!', '--admin', '--config', server.configPath, '--url', server.url]);
  t.equal(r.code, 0, r.out);
  t.match(r.out, new RegExp(`registered @root:${server.serverName} \\(server admin\\)`));
  t.notOk(r.out.includes('hunter2'), 'the password is not echoed');
  const login = await http(server.url, 'POST', '/_matrix/client/api/v1/login', { body: { type: 'm.login.password', user: 'root', password: 'hunter2!' } });
  t.equal(login.status, 200, 'the new user logs in');
  const admin = new Client(server.url, login.body.access_token, login.body.user_id);
  t.equal((await admin.get('/admin/appservices')).status, 200, 'is_admin is honoured by the admin API');
});

t.test('register-user prompts for the password on stdin when --password is left out; a plain user is no admin', async (t) => {
  const server = await startServer({ config: { registration_shared_secret: 'cli-secret' } });
  t.teardown(() => server.close());
  const r = await registerUser(['--user', 'carol', '--shared-secret', 'cli-secret', '--url', server.url], 'pw-from-stdin\npw-from-stdin\n');
  t.equal(r.code, 0, r.out);
  t.match(r.out, /Password: /);
  const login = await http(server.url, 'POST', '/_matrix/client/api/v1/login', { body: { type: 'm.login.password', user: 'carol', password: 'pw-from-stdin' } });
  t.equal(login.status, 200);
  t.equal((await new Client(server.url, login.body.access_token).get('/admin/appservices')).status, 403, 'not an admin');
});

t.test('register-user with a wrong secret fails with the server\'s answer and exit code 1', async (t) => {
  const server = await startServer({ config: { registration_shared_secret: 'cli-secret' } });
  t.teardown(() => server.close());
  const r = await registerUser(['--user', 'mallory', '--password', 'x', '--shared-secret', 'wrong', '--url', server.url]);
  t.equal(r.code, 1);
  t.match(r.out, /register-user: .* 403 M_FORBIDDEN HMAC incorrect/);
  t.equal(r.out.trim().split('\n').length, 1, 'one line, no stack trace');
});
