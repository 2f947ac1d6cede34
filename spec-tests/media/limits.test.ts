// max_upload_size: oversized uploads are refused with 413 M_TOO_LARGE and leave nothing on disk.
import t from 'tap';
import { Agent, request } from 'undici';
import { Readable } from 'node:stream';
import { startServer, Client, type TestServer } from '../helpers/server.js';
import { MEDIA, raw, upload, mxcPath, filesUnder } from '../helpers/media.js';

const LIMIT = 64 * 1024;
let server: TestServer;
let alice: Client;
t.before(async () => {
  server = await startServer({ config: { max_upload_size: '64K' } });
  alice = await Client.register(server, 'alice');
});
t.teardown(() => server.close());

const stored = () => filesUnder(server.hs.config.mediaStorePath).sort();

t.test('an upload of exactly max_upload_size is accepted', async (t) => {
  const body = Buffer.alloc(LIMIT, 7);
  const up = await upload(alice, body, 'application/octet-stream');
  t.equal(up.status, 200);
  const down = await raw(`${server.url}${MEDIA}/download/${mxcPath(up.json.content_uri)}`);
  t.same(down.body, body);
});

t.test('a Content-Length over max_upload_size is refused with 413 before reading the body', async (t) => {
  const before = stored();
  const res = await upload(alice, Buffer.alloc(LIMIT + 1, 1), 'application/octet-stream');
  t.equal(res.status, 413);
  t.same(res.json, { errcode: 'M_TOO_LARGE', error: `Upload is larger than the limit of ${LIMIT} bytes (max_upload_size)` });
  t.same(stored(), before, 'nothing new in the media store');
});

t.test('a chunked upload that grows past max_upload_size is stopped, answered 413, and its partial file removed', async (t) => {
  const before = stored();
  const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(16 * 1024, i));
  const res = await upload(alice, (async function* () { yield* chunks; })(), 'application/octet-stream');
  t.equal(res.status, 413);
  t.equal(res.json.errcode, 'M_TOO_LARGE');
  t.same(stored(), before, 'no partial file left behind');
  t.same(filesUnder(`${server.hs.config.mediaStorePath}/tmp`), []);
  // The server still answers on fresh requests afterwards.
  const ok = await upload(alice, Buffer.from('small'), 'text/plain');
  t.equal(ok.status, 200);
});

t.test('a client that disconnects mid-upload leaves no partial file', async (t) => {
  const before = stored();
  const ac = new AbortController();
  async function* slow() {
    yield Buffer.alloc(8 * 1024, 1);
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    yield Buffer.alloc(8 * 1024, 2);
  }
  // Its own agent, destroyed afterwards: the aborted request must not leave a pooled socket open.
  const agent = new Agent();
  await request(`${server.url}${MEDIA}/upload?access_token=${alice.token}`, {
    method: 'POST', body: Readable.from(slow()), signal: ac.signal, headers: { 'content-type': 'application/octet-stream' }, dispatcher: agent,
  }).catch(() => undefined);
  await agent.destroy();
  // The server notices the closed connection asynchronously; wait until the temp folder is empty.
  for (let i = 0; i < 100 && filesUnder(`${server.hs.config.mediaStorePath}/tmp`).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  t.same(stored(), before);
});
