// Issue 10, items 12, 15 and 17: errors raised by the HTTP framework itself, bodies that are not
// UTF-8, and a database file that is not SQLite. Each attack is performed over the wire.
import t, { type Test } from 'tap';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startServer, http, Client, enc, freePort, type TestServer } from '../helpers/server.js';
import { runCli } from '../helpers/process.js';

const V1 = '/_matrix/client/api/v1';

/** Sends raw bytes on a fresh connection and returns everything the server answers. */
async function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('error', (err) => (out ? resolve(out) : reject(err)));
    sock.on('close', () => resolve(out));
    sock.write(bytes);
  });
}

/** Status line and JSON body of a raw HTTP/1.1 answer. */
function parseRaw(answer: string): { status: number; body: any } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  const text = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  return { status, body: JSON.parse(text) };
}

function isMatrixError(t: Test, body: any, what: string): void {
  t.type(body?.errcode, 'string', `${what}: errcode`);
  t.match(body?.errcode, /^M_[A-Z_]+$/, `${what}: a Matrix errcode`);
  t.type(body?.error, 'string', `${what}: error text`);
  t.same(Object.keys(body).sort(), ['errcode', 'error'], `${what}: nothing but errcode and error (no Fastify code or statusCode)`);
}

let server: TestServer;
let alice: Client;
const logLines: string[] = [];
t.before(async () => {
  const stream = new PassThrough();
  stream.on('data', (d) => logLines.push(d.toString()));
  server = await startServer({ logStream: stream });
  alice = await Client.register(server, 'alice');
});
t.teardown(() => server.close());

t.test("Fastify's own errors answer {errcode, error} and never echo the URL or the access token", async (t) => {
  const token = alice.token!;
  const q = `access_token=${token}`;
  const cases: [string, string, string, { rawBody?: string | Buffer }, number, string][] = [
    ['bad percent-encoding in the path', 'GET', `${V1}/rooms/%ZZ/state?${q}`, {}, 400, 'M_INVALID_PARAM'],
    ['bad percent-encoding (federation)', 'GET', `/_matrix/federation/v1/state/%E0%A4%A?${q}`, {}, 400, 'M_INVALID_PARAM'],
    ['path parameter over 1,000 characters', 'GET', `${V1}/rooms/${'a'.repeat(1500)}/state?${q}`, {}, 400, 'M_INVALID_PARAM'],
    ['unknown path', 'GET', `${V1}/no/such/thing/${'x'.repeat(300)}?${q}`, {}, 404, 'M_UNRECOGNIZED'],
    ['method not routed', 'PATCH', `${V1}/createRoom?${q}`, {}, 404, 'M_UNRECOGNIZED'],
    ['body over the limit', 'POST', `${V1}/createRoom?${q}`, { rawBody: 'x'.repeat(9 * 1024 * 1024) }, 413, 'M_TOO_LARGE'],
    ['body not JSON', 'POST', `${V1}/createRoom?${q}`, { rawBody: '{"name": ' }, 400, 'M_NOT_JSON'],
  ];
  for (const [what, method, path, opts, status, errcode] of cases) {
    const res = await http(server.url, method, path, opts);
    t.equal(res.status, status, `${what}: status`);
    t.equal(res.body?.errcode, errcode, `${what}: errcode`);
    isMatrixError(t, res.body, what);
    t.notOk(res.text.includes(token), `${what}: the access token is not echoed`);
    t.notOk(res.text.includes('/_matrix'), `${what}: the URL is not echoed`);
    t.notOk(/FST_/.test(res.text), `${what}: no Fastify error code`);
  }
});

t.test('requests that are not valid HTTP are answered in Matrix form too', async (t) => {
  const garbage = parseRaw(await rawExchange(server.port, 'NOT HTTP AT ALL\r\n\r\n'));
  t.equal(garbage.status, 400);
  isMatrixError(t, garbage.body, 'unparsable request');
  const hugeHeader = `GET ${V1}/publicRooms HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
  const overflow = parseRaw(await rawExchange(server.port, hugeHeader));
  t.equal(overflow.status, 431);
  isMatrixError(t, overflow.body, 'headers too large');
  t.equal((await http(server.url, 'GET', `${V1}/publicRooms`)).status, 200, 'the server still answers');
});

t.test('the access log redacts tokens in URLs, routing errors included', async (t) => {
  const token = alice.token!;
  await http(server.url, 'GET', `${V1}/initialSync?access_token=${token}`);
  await http(server.url, 'GET', `${V1}/rooms/%ZZ/state?access_token=${token}`);
  await http(server.url, 'GET', `${V1}/rooms/${'b'.repeat(1500)}/state?access_token=${token}`);
  await http(server.url, 'GET', `${V1}/nowhere?access_token=${token}`);
  await http(server.url, 'GET', `${V1}/rooms/${enc('!bad:bad_server!')}/state?access_token=${token}`);
  const log = logLines.join('');
  t.ok(log.length > 0, 'the server logged');
  t.notOk(log.includes(token), 'no access token in any log line');
  t.match(log, /access_token=<redacted>/, 'the query parameter is logged redacted');
});

t.test('invalid UTF-8 in a body is 400 M_NOT_JSON and nothing is stored', async (t) => {
  const room = (await alice.post('/createRoom', { visibility: 'private' })).body.room_id as string;
  const before = (await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=100`)).body.chunk.length;
  // {"msgtype":"m.text","body":"<FF FE C3 28>"}: FF and FE never occur in UTF-8, C3 28 is a broken pair.
  const bad = Buffer.concat([Buffer.from('{"msgtype":"m.text","body":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);
  for (const [what, path] of [
    ['send', `${V1}/rooms/${enc(room)}/send/m.room.message`],
    ['state', `${V1}/rooms/${enc(room)}/state/m.room.topic`],
    ['createRoom', `${V1}/createRoom`],
    ['register', `${V1}/register`],
  ] as const) {
    for (const contentType of ['application/json', 'application/x-www-form-urlencoded']) {
      const res = await http(server.url, 'POST', `${path}?access_token=${alice.token}`, { rawBody: bad, headers: { 'content-type': contentType } });
      t.equal(res.status, 400, `${what} (${contentType}): 400`);
      t.equal(res.body.errcode, 'M_NOT_JSON', `${what} (${contentType}): M_NOT_JSON`);
    }
  }
  const after = (await alice.get(`/rooms/${enc(room)}/messages?dir=b&limit=100`)).body.chunk;
  t.equal(after.length, before, 'no event was stored');
  t.notOk(JSON.stringify(after).includes('\ufffd'), 'no U+FFFD replacement anywhere');
  // Valid UTF-8 (multi-byte included) is still read as JSON whatever the Content-Type says.
  const ok = await http(server.url, 'POST', `${V1}/rooms/${enc(room)}/send/m.room.message?access_token=${alice.token}`, {
    rawBody: Buffer.from('{"msgtype":"m.text","body":"h\u00e9 \u2603 \ud83d\ude00"}'), headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(ok.status, 200, 'valid UTF-8 is accepted as JSON under any Content-Type');
  t.equal(server.hs.persister.loader.pdu(ok.body.event_id)?.content?.body, 'h\u00e9 \u2603 \ud83d\ude00', 'stored exactly as sent');
});

t.test('a database file that is not SQLite stops start-up with one line naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-notdb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const gen = runCli(['--config', 'hs.yaml', '--generate-config', '--server-name', `localhost:${port}`, '--port', String(port)], dir);
  t.equal(await gen.exit, 0, gen.output());
  const cfg = YAML.parse(readFileSync(join(dir, 'hs.yaml'), 'utf8'));
  const dbFile = join(dir, cfg.database.path);
  writeFileSync(dbFile, 'this is a text file, not an SQLite database\n'.repeat(200));
  const run = runCli(['--config', join(dir, 'hs.yaml')], dir);
  t.teardown(() => run.kill('SIGKILL'));
  t.equal(await run.exit, 1, 'exits 1');
  const lines = run.output().trim().split('\n');
  t.equal(lines.length, 1, `one line, no stack trace: ${run.output()}`);
  t.ok(lines[0]!.includes(dbFile), 'names the file');
  t.match(lines[0], /not a database/, "says what is wrong with it");
});
