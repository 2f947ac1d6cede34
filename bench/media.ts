// Media repository figures: upload and download throughput (MB/s) of a 50 MB file through a real
// server over loopback HTTP, with the RSS growth while doing it (it must stay far below the file
// size: files are streamed, never buffered). Baseline in the same run: a bare node:http server
// streaming the same file to and from disk, and a plain fs stream copy.
// Run: npx tsx bench/media.ts
import { createReadStream, createWriteStream, mkdtempSync, rmSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startServer, Client } from '../spec-tests/helpers/server.js';
import { report } from './report.js';

const SIZE = 50 * 1024 * 1024;
const MB = 1024 * 1024;
const ROUNDS = 3;
const dir = mkdtempSync(join(tmpdir(), 'hs-bench-media-'));
const source = join(dir, 'source.bin');

// The test file: random bytes (incompressible), written in chunks so the bench itself stays small.
const fd = openSync(source, 'w');
for (let i = 0; i < SIZE / MB; i++) writeSync(fd, randomBytes(MB));
closeSync(fd);

/** Runs fn, sampling RSS every 5 ms; returns its duration and the peak RSS growth. */
async function measure(fn: () => Promise<void>): Promise<{ seconds: number; rssGrowth: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, rssGrowth: peak - base };
}

/** Best throughput of a few rounds, with the largest RSS growth seen in any of them. */
async function bench(fn: (round: number) => Promise<void>): Promise<{ mbps: number; rssMb: number }> {
  let best = Infinity;
  let rss = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const m = await measure(() => fn(r));
    best = Math.min(best, m.seconds);
    rss = Math.max(rss, m.rssGrowth);
  }
  return { mbps: SIZE / MB / best, rssMb: rss / MB };
}

async function uploadFile(url: string): Promise<any> {
  const res = await request(url, {
    method: 'POST', body: createReadStream(source),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) },
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`upload answered ${res.statusCode}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function downloadFile(url: string): Promise<void> {
  const res = await request(url);
  if (res.statusCode !== 200) throw new Error(`download answered ${res.statusCode}`);
  let n = 0;
  for await (const chunk of res.body) n += (chunk as Buffer).length;
  if (n !== SIZE) throw new Error(`downloaded ${n} bytes, expected ${SIZE}`);
}

/** The baseline server: streams POST bodies to a file and GETs from a file, nothing else. */
function bareServer(): Promise<Server> {
  const stored = join(dir, 'bare.bin');
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      pipeline(req, createWriteStream(stored)).then(() => res.end('{}'), () => res.destroy());
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(stored).size });
      createReadStream(stored).pipe(res);
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const hsServer = await startServer({ config: { max_upload_size: '100M' } });
const bare = await bareServer();
try {
  const alice = await Client.register(hsServer, 'alice');
  const uploadUrl = `${hsServer.url}/_matrix/media/v1/upload?filename=big.bin&access_token=${alice.token}`;
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
  // Warm-up, unmeasured: JIT, socket pools and the heap's first growth land here, not on
  // whichever contender happens to run first.
  const warm = (await uploadFile(uploadUrl)).content_uri as string;
  await downloadFile(`${hsServer.url}/_matrix/media/v1/download/${warm.slice(6)}`);
  await uploadFile(bareUrl);
  await downloadFile(bareUrl);

  let lastUri = '';
  const up = await bench(async () => {
    lastUri = (await uploadFile(uploadUrl)).content_uri;
  });
  const down = await bench(() => downloadFile(`${hsServer.url}/_matrix/media/v1/download/${lastUri.slice(6)}`));

  const bareUp = await bench(() => uploadFile(bareUrl));
  const bareDown = await bench(() => downloadFile(bareUrl));
  const copy = await bench((r) => pipeline(createReadStream(source), createWriteStream(join(dir, `copy${r}.bin`))));

  const row = (name: string, r: { mbps: number; rssMb: number }, base?: { mbps: number }) =>
    `  ${name.padEnd(38)} ${r.mbps.toFixed(0).padStart(6)} MB/s   RSS +${r.rssMb.toFixed(1).padStart(5)} MB` +
    (base ? `   (ratio ${(r.mbps / base.mbps).toFixed(2)})` : '');
  console.log(`media repository, ${SIZE / MB} MB file over loopback HTTP (best of ${ROUNDS}; RSS = peak growth, whole process)`);
  console.log(row('upload   POST /media/v1/upload', up, bareUp));
  console.log(row('  baseline: bare node:http to file', bareUp));
  console.log(row('download GET /media/v1/download', down, bareDown));
  console.log(row('  baseline: bare node:http from file', bareDown));
  console.log(row('reference: fs stream copy', copy));
  const worst = Math.max(up.rssMb, down.rssMb);
  console.log(`  RSS growth at most ${worst.toFixed(1)} MB for a ${SIZE / MB} MB file (${((worst * MB * 100) / SIZE).toFixed(0)}% of its size)`);
  report({ name: 'media upload', value: up.mbps, unit: 'MB/s', baseline: `${bareUp.mbps.toFixed(0)} MB/s bare node:http`, ratio: up.mbps / bareUp.mbps });
  report({ name: 'media download', value: down.mbps, unit: 'MB/s', baseline: `${bareDown.mbps.toFixed(0)} MB/s bare node:http`, ratio: down.mbps / bareDown.mbps });
} finally {
  bare.close();
  await hsServer.close();
  rmSync(dir, { recursive: true, force: true });
}
