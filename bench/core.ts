// Event core figures: events hashed+signed per second and events persisted per second,
// each with a baseline measured in the same run. Run: npx tsx bench/core.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, sign as edSign } from 'node:crypto';
import nacl from 'tweetnacl';
import pino from 'pino';
import { canonicalJson } from '../src/crypto/index.js';
import { buildEvent, hashAndSignEvent, type Pdu } from '../src/events/index.js';
import { openHomeserver } from '../src/homeserver.js';
import { loadConfig } from '../src/config.js';
import { writeDefaultConfig } from '../src/config-template.js';
import type { Requester } from '../src/accounts/auth.js';
import { report } from './report.js';
import { newSigningKey } from '../src/random.js';

function rate(n: number, fn: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function rateAsync(n: number, parallel: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: parallel }, async (_, w) => {
    for (let i = 0; i < n; i++) await fn(w * n + i);
  }));
  return (n * parallel) / (Number(process.hrtime.bigint() - start) / 1e9);
}

const fmt = (x: number) => x.toFixed(0).padStart(8);
const key = newSigningKey('auto');

function messageEvent(i: number) {
  return buildEvent(
    { type: 'm.room.message', room_id: '!bench:localhost', sender: '@alice:localhost', content: { msgtype: 'm.text', body: `hello ${i}` } },
    {
      eventId: `$${i}bench:localhost`, origin: 'localhost', originServerTs: 1_441_203_262_431 + i,
      prevEvents: [{ event_id: `$${i - 1}bench:localhost`, depth: i, referenceHash: 'x'.repeat(43) }],
      authEvents: [{ event_id: '$create:localhost', referenceHash: 'y'.repeat(43) }],
    },
  ) as unknown as Pdu;
}

// 1. hashing + signing
const N_SIGN = 5000;
const events = Array.from({ length: N_SIGN }, (_, i) => messageEvent(i));
const signRate = rate(N_SIGN, (i) => hashAndSignEvent(events[i], 'localhost', key));
const bytes = events.map((e) => Buffer.from(canonicalJson(e)));
const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(key.seed)]);
const priv = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
const rawRate = rate(N_SIGN, (i) => edSign(null, bytes[i], priv));
const naclKeys = nacl.sign.keyPair.fromSeed(key.seed);
const N_NACL = 300;
const naclRate = rate(N_NACL, (i) => nacl.sign.detached(bytes[i], naclKeys.secretKey));

console.log('event hashing + signing (content hash, prune, canonical JSON, ed25519)');
console.log(`  hashAndSignEvent           ${fmt(signRate)} events/s`);
console.log(`  baseline: bare ed25519     ${fmt(rawRate)} signs/s   (ratio ${(signRate / rawRate).toFixed(2)})`);
console.log(`  reference: tweetnacl       ${fmt(naclRate)} signs/s   (we are ${(signRate / naclRate).toFixed(0)}x faster)`);

// 2. persisting through the single write path
const dir = mkdtempSync(join(tmpdir(), 'hs-bench-'));
try {
  const configPath = join(dir, 'homeserver.yaml');
  writeDefaultConfig(configPath, { serverName: 'localhost' });
  const hs = openHomeserver(loadConfig(configPath), { logger: pino({ level: 'silent' }) });
  const alice: Requester = { userId: '@alice:localhost', tokenHash: 'x', appserviceId: null, rateLimited: false, isGuest: false };
  hs.storage.users.createUser(alice.userId, null, Date.now());
  const { room_id } = await hs.rooms.createRoom(alice, { visibility: 'private' });
  const N_PERSIST = 3000;
  const template = (i: number) => ({ type: 'm.room.message', room_id, sender: alice.userId, content: { msgtype: 'm.text', body: `message ${i}` } });
  const seqRate = await rateAsync(N_PERSIST, 1, (i) => hs.persister.createLocalEvent(template(i)));
  // 32 writers at once, as 32 clients sending into one room: their events share commits.
  const groupRate = await rateAsync(N_PERSIST / 32, 32, (i) => hs.persister.createLocalEvent(template(i)));
  // The same crypto again, right after, for a ratio not skewed by a neighbour's load.
  const signRate2 = rate(N_SIGN, (i) => hashAndSignEvent(events[i], 'localhost', key));
  const signBase = Math.max(signRate, signRate2);
  // Baseline: the same number of single-row insert transactions of a signed event's JSON.
  const db = hs.storage.db;
  db.exec('CREATE TABLE bench_rows (id TEXT PRIMARY KEY, json TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO bench_rows (id, json) VALUES (?, ?)');
  const json = canonicalJson(hashAndSignEvent(events[0], 'localhost', key));
  const insertOne = db.transaction((i: number) => ins.run(String(i), json));
  const baseRate = rate(N_PERSIST, (i) => insertOne(i));
  console.log('\nevents persisted (build + auth + sign + store + state + extremities; group commit)');
  console.log(`  createLocalEvent, one at a time   ${fmt(seqRate)} events/s   (ratio to hashAndSignEvent ${(seqRate / signBase).toFixed(2)})`);
  console.log(`  createLocalEvent, 32 in flight    ${fmt(groupRate)} events/s   (ratio to hashAndSignEvent ${(groupRate / signBase).toFixed(2)}, target >= 0.8)`);
  console.log(`  baseline: hashAndSignEvent        ${fmt(signBase)} events/s`);
  console.log(`  baseline: bare row insert         ${fmt(baseRate)} rows/s    (ratio ${(groupRate / baseRate).toFixed(2)})`);
  report({ name: 'hashAndSignEvent', value: signRate, unit: 'events/s', baseline: `${rawRate.toFixed(0)} signs/s bare ed25519`, ratio: signRate / rawRate });
  report({
    name: 'createLocalEvent, 32 in flight', value: groupRate, unit: 'events/s', baseline: `${signBase.toFixed(0)} events/s hashAndSignEvent (bare row insert ${baseRate.toFixed(0)}/s)`,
    ratio: groupRate / signBase, target: 'ratio >= 0.8', met: groupRate / signBase >= 0.8,
  });
  report({ name: 'createLocalEvent, one at a time', value: seqRate, unit: 'events/s', baseline: `${signBase.toFixed(0)} events/s hashAndSignEvent`, ratio: seqRate / signBase });
  await hs.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
