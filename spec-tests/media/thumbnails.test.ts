// Thumbnails (client-api-v1.md §10.3): sizes by crop and scale, caching, refusals.
import t from 'tap';
import sharp from 'sharp';
import { startServer, Client, type TestServer } from '../helpers/server.js';
import { MEDIA, raw, upload, mxcPath, samplePng, filesUnder } from '../helpers/media.js';
import { join } from 'node:path';

let server: TestServer;
let alice: Client;
let pngPath: string;
t.before(async () => {
  server = await startServer();
  alice = await Client.register(server, 'alice');
  const up = await upload(alice, await samplePng(400, 300), 'image/png', 'photo.png');
  pngPath = mxcPath(up.json.content_uri);
});
t.teardown(() => server.close());

const thumb = (path: string, q: string) => raw(`${server.url}${MEDIA}/thumbnail/${path}?${q}`);

t.test('crop thumbnails have exactly the asked size', async (t) => {
  const res = await thumb(pngPath, 'width=64&height=64&method=crop');
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'image/png');
  const meta = await sharp(res.body).metadata();
  t.same([meta.width, meta.height, meta.format], [64, 64, 'png']);
});

t.test('scale thumbnails fit inside the asked box and keep the aspect ratio', async (t) => {
  const res = await thumb(pngPath, 'width=100&height=100&method=scale');
  t.equal(res.status, 200);
  const meta = await sharp(res.body).metadata();
  t.same([meta.width, meta.height], [100, 75]);
  const dflt = await sharp((await thumb(pngPath, 'width=200&height=200')).body).metadata();
  t.same([dflt.width, dflt.height], [200, 150], 'scale is the default method');
});

t.test('scale never enlarges beyond the original', async (t) => {
  const meta = await sharp((await thumb(pngPath, 'width=800&height=800&method=scale')).body).metadata();
  t.same([meta.width, meta.height], [400, 300]);
});

t.test('a thumbnail is rendered once per size and method, then served from disk', async (t) => {
  const first = await thumb(pngPath, 'width=40&height=30&method=crop');
  const again = await thumb(pngPath, 'width=40&height=30&method=crop');
  t.same(again.body, first.body);
  const mediaId = pngPath.split('/')[1]!;
  const row = server.hs.storage.media.thumbnail('', mediaId, 40, 30, 'crop', 'image/png');
  t.ok(row, 'recorded in media_thumbnails');
  t.equal(row!.length, first.body.length);
  const onDisk = filesUnder(join(server.hs.config.mediaStorePath, 'thumbnails'));
  t.ok(onDisk.some((p) => p.endsWith(row!.file_id.slice(4))), 'file named from our id');
});

t.test('JPEG sources give JPEG thumbnails', async (t) => {
  const jpeg = await sharp(await samplePng(320, 240)).jpeg().toBuffer();
  const up = await upload(alice, jpeg, 'image/jpeg');
  const res = await thumb(mxcPath(up.json.content_uri), 'width=32&height=32&method=crop');
  t.equal(res.headers['content-type'], 'image/jpeg');
  const meta = await sharp(res.body).metadata();
  t.same([meta.width, meta.height, meta.format], [32, 32, 'jpeg']);
});

t.test('non-image media answers 400 with a clear error', async (t) => {
  const up = await upload(alice, Buffer.from('just text'), 'text/plain');
  const res = await thumb(mxcPath(up.json.content_uri), 'width=32&height=32');
  t.equal(res.status, 400);
  t.equal(res.json.errcode, 'M_UNKNOWN');
  t.match(res.json.error, /not an image/);
  const lying = await upload(alice, Buffer.from('not really a png'), 'image/png');
  const bad = await thumb(mxcPath(lying.json.content_uri), 'width=32&height=32');
  t.equal(bad.status, 400);
  t.equal(bad.json.errcode, 'M_UNKNOWN');
});

t.test('decompression bombs are refused without decoding them', async (t) => {
  // 8000x8000 = 64 megapixels of one colour: a few hundred KB as PNG, 192 MB decoded.
  const bomb = await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#fff' } }).png().toBuffer();
  const up = await upload(alice, bomb, 'image/png');
  t.equal(up.status, 200);
  const res = await thumb(mxcPath(up.json.content_uri), 'width=32&height=32');
  t.equal(res.status, 400);
  t.match(res.json.error, /too large/);
});

t.test('huge requested dimensions are capped', async (t) => {
  const big = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#08f' } }).png().toBuffer();
  const up = await upload(alice, big, 'image/png');
  const res = await thumb(mxcPath(up.json.content_uri), 'width=100000&height=100000&method=crop');
  t.equal(res.status, 200);
  const meta = await sharp(res.body).metadata();
  t.same([meta.width, meta.height], [1600, 1600]);
});

t.test('bad thumbnail parameters are 400 errors', async (t) => {
  for (const q of ['width=abc&height=10', 'width=0&height=10', 'width=10&height=10&method=stretch', '']) {
    const res = await thumb(pngPath, q);
    t.equal(res.status, 400, q);
    t.match(res.json.errcode, /^M_/, q);
  }
});
