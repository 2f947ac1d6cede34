// Log lines an operator reads: access lines, start-up lines, failures with url and next retry, recoveries.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startServer, Client, waitFor, enc, freePort } from '../helpers/server.js';
import { startReceiver, writeRegistration, FAST_RETRY } from '../appservice/helpers.js';
import { runCli } from '../helpers/process.js';
import { createLogger } from '../../src/logging.js';
import { defaultConfigText } from '../../src/config-template.js';

function capture() {
  const stream = new PassThrough();
  const lines: any[] = [];
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ text: line });
      }
    }
  });
  return { stream, lines };
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-logs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('access lines: method, path with tokens redacted, status, errcode, user, ms', async (t) => {
  const { stream, lines } = capture();
  const server = await startServer({ logStream: stream });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  await alice.get('/initialSync?limit=1');
  await alice.get(`/rooms/${enc('!nope:' + server.serverName)}/state`);
  const ok = await waitFor(() => lines.find((l) => l.path?.startsWith('/_matrix/client/api/v1/initialSync')), 'the initialSync access line');
  t.equal(ok.method, 'GET');
  t.equal(ok.status, 200);
  t.equal(ok.user, alice.userId);
  t.type(ok.ms, 'number');
  t.match(ok.path, /access_token=<redacted>/, 'the token is redacted');
  t.match(ok.msg, new RegExp(`^GET /_matrix/client/api/v1/initialSync\\S* 200 ${alice.userId!.replace(/[.]/g, '\\.')} \\d+ms$`), 'one readable message');
  const err = await waitFor(() => lines.find((l) => l.path?.includes('/state') && l.status >= 400), 'the error access line');
  t.match(err.errcode, /^M_/, 'the errcode is on the line');
  t.ok(err.msg.includes(err.errcode));
  t.notOk(lines.some((l) => JSON.stringify(l).includes(alice.token!)), 'no line carries the access token');
});

t.test('an application service failure names the url and the next retry; its return is logged', async (t) => {
  const dir = tempDir(t);
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  let failing = true;
  receiver.onTxn = () => (failing ? { status: 503, body: {} } : { status: 200, body: {} });
  const reg = writeRegistration(dir, 'bridge', {
    id: 'bridge', url: receiver.url, as_token: 'log-as', hs_token: 'log-hs', sender_localpart: 'bridgebot',
    namespaces: { users: [], aliases: [{ exclusive: false, regex: '#irc_.*' }], rooms: [] },
  });
  const { stream, lines } = capture();
  const server = await startServer({ logStream: stream, config: { app_service_config_files: [reg], appservice: { ...FAST_RETRY, retry_backoff_min_ms: 100, retry_backoff_max_ms: 100 } } });
  t.teardown(() => server.close());
  const alice = await Client.register(server, 'alice');
  await alice.post('/createRoom', { room_alias_name: 'irc_logs' });
  const fail = await waitFor(() => lines.find((l) => l.appservice === 'bridge' && l.reason === 'HTTP 503'), 'the failure line');
  t.equal(fail.level, 40, 'a warning');
  t.ok(fail.url.startsWith(`${receiver.url}/transactions/`), 'the url tried');
  t.match(fail.nextRetry, /^\d{4}-\d\d-\d\dT/, 'when it is retried');
  t.ok(fail.msg.includes(receiver.url) && fail.msg.includes(fail.nextRetry), 'both in the message too');
  t.notOk(fail.url.includes('log-hs'), 'never the hs_token');
  failing = false;
  const back = await waitFor(() => lines.find((l) => l.appservice === 'bridge' && /reachable again/.test(l.msg ?? '')), 'the recovery line');
  t.equal(back.level, 30);
  t.notOk(lines.some((l) => JSON.stringify(l).includes('log-hs') || JSON.stringify(l).includes('log-as')), 'no token in any line');
});

t.test('log_format pretty prints readable lines; json prints JSON; a bad value is refused', async (t) => {
  const { stream, lines } = capture();
  const log = createLogger({ level: 'info', format: 'pretty', stream });
  log.info({ user: '@a:b', access_token: 'secret-token' }, 'hello operator');
  await waitFor(() => lines.length > 0, 'a pretty line');
  t.ok(lines[0].text, 'not JSON');
  t.match(lines[0].text, /INFO.*hello operator/);
  t.notOk(lines[0].text.includes('secret-token'), 'secrets redacted in pretty lines too');
  const json = capture();
  createLogger({ level: 'info', format: 'json', stream: json.stream }).info('machine');
  await waitFor(() => json.lines.length > 0, 'a json line');
  t.equal(json.lines[0].msg, 'machine');

  const dir = tempDir(t);
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, YAML.stringify({ server_name: 'localhost', log_format: 'fancy' }));
  const run = runCli(['--config', file], dir);
  t.equal(await run.exit, 1);
  t.match(run.output(), /bad value for 'log_format'/);
});

t.test('start-up lines name the listeners, the server name and each application service with its namespaces', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const reg = writeRegistration(dir, 'bridge', {
    id: 'ircbridge', url: 'http://127.0.0.1:9', as_token: 'start-as', hs_token: 'start-hs', sender_localpart: 'ircbot',
    namespaces: { users: [{ exclusive: true, regex: '@irc_.*' }], aliases: [], rooms: [] },
  });
  const cfg = { ...YAML.parse(defaultConfigText({ serverName: `localhost:${port}`, port })), app_service_config_files: [reg], log_format: 'json' };
  writeFileSync(join(dir, 'homeserver.yaml'), YAML.stringify(cfg));
  const run = runCli(['--config', 'homeserver.yaml', '--port', '1234'], dir);
  t.teardown(() => run.kill('SIGKILL'));
  await run.ready;
  const out = run.output();
  t.match(out, new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));
  t.match(out, new RegExp(`server name localhost:${port}, version \\d+\\.\\d+\\.\\d+`));
  t.match(out, /application service ircbridge at http:\/\/127\.0\.0\.1:9: users \[@irc_\.\* \(exclusive\)\]/);
  t.match(out, /--port ignored: .* exists/, 'a flag that a present config overrides is called out');
  t.notOk(out.includes('start-as') || out.includes('start-hs'), 'no token');
  run.kill('SIGTERM');
  t.equal(await run.exit, 0);
});
