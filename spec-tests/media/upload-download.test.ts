// Uploading and downloading media over real HTTP (client-api-v1.md §10.1, §10.2, §10.4).
import t from 'tap';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { startServer, Client, type TestServer } from '../helpers/server.js';
import { MEDIA, raw, upload, mxcPath, samplePng } from '../helpers/media.js';

let server: TestServer;
let alice: Client;
t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
});
t.teardown(() => server.close());

t.test('a PNG and a text file upload to mxc:// URIs and download byte for byte', async (t) => {
  const png = await samplePng(300, 200);
  const up = await upload(alice, png, 'image/png', 'cat.png');
  t.equal(up.status, 200);
  t.match(up.json.content_uri, new RegExp(`^mxc://${server.serverName}/[A-Za-z]{24}$`));
  const down = await raw(`${server.url}${MEDIA}/download/${mxcPath(up.json.content_uri)}`);
  t.equal(down.status, 200);
  t.same(down.body, png, 'PNG bytes identical');
  t.equal(down.headers['content-type'], 'image/png');
  t.equal(down.headers['content-length'], String(png.length));
  t.equal(down.headers['content-disposition'], 'inline; filename=cat.png', "Synapse's form: unquoted, percent-encoded");

  const text = Buffer.from('hello, media repository\n'.repeat(1000), 'utf8');
  const upText = await upload(alice, text, 'text/plain; charset=utf-8', 'notes.txt');
  t.equal(upText.status, 200);
  const downText = await raw(`${server.url}${MEDIA}/download/${mxcPath(upText.json.content_uri)}`);
  t.same(downText.body, text, 'text bytes identical');
  t.equal(downText.headers['content-type'], 'text/plain; charset=utf-8');

  const id = mxcPath(up.json.content_uri).split('/')[1]!;
  const row = server.hs.storage.media.localMedia(id)!;
  t.equal(row.length, png.length);
  t.equal(row.sha256, createHash('sha256').update(png).digest('hex'));
  t.equal(row.uploader, alice.userId);
  t.equal(row.upload_name, 'cat.png');
});

t.test('media ids are random: the same file uploaded twice gets two different ids', async (t) => {
  const body = Buffer.from('same bytes');
  const a = await upload(alice, body, 'text/plain');
  const b = await upload(alice, body, 'text/plain');
  t.not(a.json.content_uri, b.json.content_uri);
});

t.test('upload needs an access token', async (t) => {
  const res = await raw(`${server.url}${MEDIA}/upload`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
  t.equal(res.status, 401);
  t.equal(res.json.errcode, 'M_MISSING_TOKEN');
  const bad = await raw(`${server.url}${MEDIA}/upload?access_token=nope`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
  t.equal(bad.status, 401);
  t.equal(bad.json.errcode, 'M_UNKNOWN_TOKEN');
});

t.test('an upload without Content-Type is stored as application/octet-stream', async (t) => {
  const up = await upload(alice, Buffer.from([0, 1, 2, 3, 255]));
  t.equal(up.status, 200);
  const down = await raw(`${server.url}${MEDIA}/download/${mxcPath(up.json.content_uri)}`);
  t.equal(down.headers['content-type'], 'application/octet-stream');
  t.same(down.body, Buffer.from([0, 1, 2, 3, 255]));
});

t.test('a chunked upload (no Content-Length) is streamed and stored', async (t) => {
  const parts = [Buffer.alloc(100_000, 1), Buffer.alloc(50_000, 2)];
  const up = await upload(alice, (async function* () { yield* parts; })(), 'application/octet-stream');
  t.equal(up.status, 200);
  const down = await raw(`${server.url}${MEDIA}/download/${mxcPath(up.json.content_uri)}`);
  t.same(down.body, Buffer.concat(parts));
});

t.test('unknown media answers 404 M_NOT_FOUND, for download and thumbnail', async (t) => {
  for (const path of [
    `download/${server.serverName}/abcdefghijklmnopqrstuvwx`,
    `download/${server.serverName}/abcdefghijklmnopqrstuvwx/name.png`,
    `thumbnail/${server.serverName}/abcdefghijklmnopqrstuvwx?width=32&height=32`,
    `download/${server.serverName}/..%2F..%2Fhomeserver.yaml`,
  ]) {
    const res = await raw(`${server.url}${MEDIA}/${path}`);
    t.equal(res.status, 404, path);
    t.equal(res.json.errcode, 'M_NOT_FOUND', path);
  }
});

t.test('Content-Disposition is safe for hostile file names, with RFC 5987 for non-ASCII, and absent without a name', async (t) => {
  const hostile = 'evil"\r\nSet-Cookie: session=1; x=".html';
  const up = await upload(alice, Buffer.from('<b>hi</b>'), 'text/html', hostile);
  t.equal(up.status, 200);
  const path = mxcPath(up.json.content_uri);
  const res = await raw(`${server.url}${MEDIA}/download/${path}`);
  t.equal(res.status, 200);
  t.notOk(res.headers['set-cookie'], 'no injected header');
  t.equal(res.headers['content-disposition'], 'inline; filename=evil%22%0D%0ASet-Cookie%3A%20session%3D1%3B%20x%3D%22.html', 'an ASCII name is percent-encoded');
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.match(res.headers['content-security-policy'], /sandbox/, 'uploaded HTML cannot script this origin');

  const named = await raw(`${server.url}${MEDIA}/download/${path}/${encodeURIComponent('résumé "final".pdf')}`);
  t.equal(named.headers['content-disposition'], "inline; filename*=utf-8''r%C3%A9sum%C3%A9%20%22final%22.pdf", 'name from the path wins');
  const plain = await raw(`${server.url}${MEDIA}/download/${path}/report.txt`);
  t.equal(plain.headers['content-disposition'], 'inline; filename=report.txt');
  const unnamed = await upload(alice, Buffer.from('x'), 'text/plain');
  const none = await raw(`${server.url}${MEDIA}/download/${mxcPath(unnamed.json.content_uri)}`);
  t.equal(none.status, 200);
  t.notOk(none.headers['content-disposition'], 'no name, no header (Synapse 0.12)');
});

t.test('a single byte range is answered with 206 and Content-Range', async (t) => {
  const body = Buffer.from('0123456789abcdefghij');
  const up = await upload(alice, body, 'text/plain');
  const url = `${server.url}${MEDIA}/download/${mxcPath(up.json.content_uri)}`;
  const part = await raw(url, { headers: { range: 'bytes=5-9' } });
  t.equal(part.status, 206);
  t.equal(part.body.toString(), '56789');
  t.equal(part.headers['content-range'], `bytes 5-9/${body.length}`);
  const tail = await raw(url, { headers: { range: 'bytes=-3' } });
  t.equal(tail.body.toString(), 'hij');
  const bad = await raw(url, { headers: { range: 'bytes=100-' } });
  t.equal(bad.status, 416);
  t.equal(bad.json.errcode, 'M_UNKNOWN');
});

t.test('identicons (js-sdk 0.3 default avatars) are PNGs of the asked size, stable per string', async (t) => {
  const url = `${server.url}${MEDIA}/identicon/${encodeURIComponent(alice.userId!)}?width=64&height=48`;
  const a = await raw(url);
  t.equal(a.status, 200);
  t.equal(a.headers['content-type'], 'image/png');
  const meta = await sharp(a.body).metadata();
  t.equal(meta.width, 64);
  t.equal(meta.height, 48);
  t.same((await raw(url)).body, a.body, 'same string, same picture');
  const other = await raw(`${server.url}${MEDIA}/identicon/${encodeURIComponent('@bob:elsewhere')}?width=64&height=48`);
  t.notSame(other.body, a.body);
  const dflt = await raw(`${server.url}${MEDIA}/identicon/x`);
  t.equal((await sharp(dflt.body).metadata()).width, 96);
});

t.test('HEAD on a download answers the headers without the body', async (t) => {
  const body = Buffer.from('head me');
  const up = await upload(alice, body, 'text/plain');
  const res = await raw(`${server.url}${MEDIA}/download/${mxcPath(up.json.content_uri)}`, { method: 'HEAD' });
  t.equal(res.status, 200);
  t.equal(res.headers['content-length'], String(body.length));
  t.equal(res.body.length, 0);
  const empty = await upload(alice, Buffer.alloc(0), 'text/plain');
  const got = await raw(`${server.url}${MEDIA}/download/${mxcPath(empty.json.content_uri)}`);
  t.equal(got.status, 200);
  t.equal(got.headers['content-length'], '0', 'an empty file is a valid upload');
});
