// `npm run register-user -- --user NAME [--password P] [--admin]`: creates an account on a running
// server through the shared-secret registration (org.matrix.login.shared_secret), like Synapse's
// register_new_matrix_user. The secret comes from --shared-secret or the server's config file.
import { Command } from 'commander';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { ConfigError, loadConfig } from '../config.js';

const program = new Command()
  .name('register-user')
  .description('Register a user on a running homeserver with the registration_shared_secret')
  .requiredOption('-u, --user <localpart>', 'the new user (localpart, or a full @user:server id)')
  .option('-p, --password <password>', 'the password (prompted for when left out)')
  .option('-a, --admin', 'give the user server-admin rights (admin API, alias deletion)')
  .option('-c, --config <path>', 'homeserver.yaml to read registration_shared_secret and the port from', 'homeserver.yaml')
  .option('-k, --shared-secret <secret>', 'the shared secret (instead of reading it from --config)')
  .option('--url <url>', 'the server\'s client API base URL (default: http://localhost:<port of --config>)')
  .option('--print-token', 'print the new access token')
  .parse();

const opts = program.opts<{ user: string; password?: string; admin?: boolean; config: string; sharedSecret?: string; url?: string; printToken?: boolean }>();

/** Asks for the password twice, without echoing it when stdin is a terminal. */
async function askPassword(): Promise<string> {
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
  // readline echoes what is typed through _writeToOutput: silence it (we write the prompts).
  if (tty) (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (q: string) => {
    process.stdout.write(q);
    const { value, done } = await lines.next();
    if (tty) process.stdout.write('\n');
    if (done) throw new Error('no password given');
    return value as string;
  };
  try {
    const password = await ask('Password: ');
    if ((await ask('Confirm password: ')) !== password) throw new Error('passwords do not match');
    return password;
  } finally {
    rl.close();
  }
}

async function main(): Promise<void> {
  let secret = opts.sharedSecret;
  let url = opts.url;
  if (!secret || !url) {
    if (!existsSync(opts.config)) throw new Error(`${opts.config} not found: pass --config, or --shared-secret and --url`);
    const config = loadConfig(opts.config);
    secret ??= config.registrationSharedSecret ?? undefined;
    url ??= `http://localhost:${config.port}`;
    if (!secret) throw new Error(`${config.configPath} has no registration_shared_secret: set one (and restart the server), or pass --shared-secret`);
  }
  const localpart = opts.user.startsWith('@') ? opts.user.slice(1).split(':')[0] : opts.user;
  let password = opts.password;
  if (password === undefined) {
    password = await askPassword();
  }
  if (!password) throw new Error('an empty password is not allowed');
  const mac = createHmac('sha1', secret).update(localpart).digest('hex');
  const res = await request(`${url.replace(/\/+$/, '')}/_matrix/client/api/v1/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'org.matrix.login.shared_secret', user: localpart, password, mac, admin: opts.admin === true }),
  });
  const text = await res.body.text();
  let body: { user_id?: string; access_token?: string; errcode?: string; error?: string } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: reported below
  }
  if (res.statusCode !== 200 || !body.user_id) {
    throw new Error(`${url} refused: ${res.statusCode} ${body.errcode ?? ''} ${body.error ?? text.slice(0, 200)}`.trim());
  }
  console.log(`registered ${body.user_id}${opts.admin ? ' (server admin)' : ''}`);
  if (opts.printToken) console.log(`access_token: ${body.access_token}`);
}

main().catch((err) => {
  console.error(`register-user: ${err instanceof ConfigError ? `config error: ${err.message}` : (err as Error).message}`);
  process.exit(1);
});
