// Remote media: mxc://other.server/id is fetched once from the origin's download endpoint over
// federation, cached, and served from the cache even while the origin is down.
import t from 'tap';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { startServer, Client, type TestServer } from '../helpers/server.js';
import { MEDIA, raw, upload, mxcPath, samplePng } from '../helpers/media.js';

let origin: TestServer;
let cache: TestServer;
let alice: Client;
t.before(async () => {
  [origin, cache] = await Promise.all([startServer(), startServer()]);
  alice = await Client.register(origin, 'alice');
});
t.teardown(async () => {
  await origin.close();
  await cache.close();
});

async function downloadsServedBy(server: TestServer): Promise<number> {
  const m = await server.hs.metrics.httpRequests.get();
  return m.values
    .filter((v) => String(v.labels.route).startsWith('/_matrix/media/v1/download/') && v.labels.status === '200')
    .reduce((n, v) => n + v.value, 0);
}

t.test('remote media is fetched from the origin once, then served from the cache while the origin is stopped', async (t) => {
  const png = await samplePng(240, 160);
  const up = await upload(alice, png, 'image/png', 'remote.png');
  const path = mxcPath(up.json.content_uri);
  t.equal(path.split('/')[0], origin.serverName);

  // Several clients ask the caching server at once: one fetch serves them all.
  const before = await downloadsServedBy(origin);
  const answers = await Promise.all(Array.from({ length: 5 }, () => raw(`${cache.url}${MEDIA}/download/${path}`)));
  for (const a of answers) {
    t.equal(a.status, 200);
    t.same(a.body, png);
    t.equal(a.headers['content-type'], 'image/png');
    t.equal(a.headers['content-disposition'], 'inline; filename=remote.png', 'upload name carried over');
  }
  t.equal((await downloadsServedBy(origin)) - before, 1, 'the origin was asked once');
  const row = cache.hs.storage.media.remoteMedia(origin.serverName, path.split('/')[1]!)!;
  t.equal(row.sha256, createHash('sha256').update(png).digest('hex'));
  t.equal(row.length, png.length);
  t.not(row.file_id, row.media_id, 'stored under our own id');

  const thumb = await raw(`${cache.url}${MEDIA}/thumbnail/${path}?width=60&height=60&method=crop`);
  t.equal(thumb.status, 200);
  t.same(await sharp(thumb.body).metadata().then((m) => [m.width, m.height]), [60, 60]);

  await origin.stop();
  const again = await raw(`${cache.url}${MEDIA}/download/${path}`);
  t.equal(again.status, 200);
  t.same(again.body, png, 'served from the cache with the origin down');
  const scaled = await raw(`${cache.url}${MEDIA}/thumbnail/${path}?width=120&height=120&method=scale`);
  t.equal(scaled.status, 200);
  t.same(await sharp(scaled.body).metadata().then((m) => [m.width, m.height]), [120, 80], 'new sizes rendered from the cached copy');

  const gone = await raw(`${cache.url}${MEDIA}/download/${origin.serverName}/neverFetchedBeforeXXXXXX`);
  t.equal(gone.status, 502, 'uncached media of an unreachable origin');
  t.equal(gone.json.errcode, 'M_UNKNOWN');
});

t.test('media the origin does not have answers 404 M_NOT_FOUND', async (t) => {
  const other = await startServer();
  t.teardown(() => other.close());
  const res = await raw(`${cache.url}${MEDIA}/download/${other.serverName}/abcdefghijklmnopqrstuvwx`);
  t.equal(res.status, 404);
  t.equal(res.json.errcode, 'M_NOT_FOUND');
  t.equal(cache.hs.storage.media.remoteMedia(other.serverName, 'abcdefghijklmnopqrstuvwx'), undefined, 'nothing cached');
});

t.test('remote media larger than max_upload_size is refused with 413', async (t) => {
  const small = await startServer({ config: { max_upload_size: '1K' } });
  t.teardown(() => small.close());
  const bob = await Client.register(cache, 'bob');
  const up = await upload(bob, Buffer.alloc(4096, 3), 'application/octet-stream');
  t.equal(up.status, 200);
  const res = await raw(`${small.url}${MEDIA}/download/${mxcPath(up.json.content_uri)}`);
  t.equal(res.status, 413);
  t.equal(res.json.errcode, 'M_TOO_LARGE');
});
