// Cost of the write path against room size: sends/s in a one-member room vs a room with
// ROOM_SIZE members (default 10,000), interleaved in the same run, the join time as the room
// grows, and the memory the room's cached state takes. Run: npx tsx bench/room-size.ts
// (ROOM_SIZE=2000 npx tsx bench/room-size.ts for a quicker run)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { openHomeserver } from '../src/homeserver.js';
import { loadConfig } from '../src/config.js';
import { writeDefaultConfig } from '../src/config-template.js';
import type { Requester } from '../src/accounts/auth.js';
import { report } from './report.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const SIZE = Math.max(2, Number(process.env.ROOM_SIZE ?? 10000));
const ROUNDS = 4;
const SENDS = 300;

const req = (userId: string): Requester => ({ userId, tokenHash: `t-${userId}`, appserviceId: null, rateLimited: false, isGuest: false });
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

const dir = mkdtempSync(join(tmpdir(), 'hs-bench-'));
try {
  const configPath = join(dir, 'homeserver.yaml');
  writeDefaultConfig(configPath, { serverName: 'localhost' });
  const hs = openHomeserver(loadConfig(configPath), { logger: pino({ level: 'silent' }) });
  const alice = req('@alice:localhost');
  hs.storage.users.createUser(alice.userId, null, Date.now());
  const small = (await hs.rooms.createRoom(alice, { visibility: 'private' })).room_id;
  const big = (await hs.rooms.createRoom(alice, { visibility: 'public' })).room_id;

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const joinMs: number[] = [];
  for (let i = 1; i < SIZE; i++) {
    const u = req(`@user${i}:localhost`);
    hs.storage.users.createUser(u.userId, null, Date.now());
    const start = process.hrtime.bigint();
    await hs.rooms.join(u, big);
    joinMs.push(seconds(start) * 1000);
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const firstJoins = avg(joinMs.slice(0, 100));
  const lastJoins = avg(joinMs.slice(-100));

  let n = 0;
  const sendRate = async (roomId: string) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < SENDS; i++) await hs.rooms.sendEvent(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: `m ${n++}` });
    return SENDS / seconds(start);
  };
  await sendRate(small);
  await sendRate(big); // warm-up
  const smallRates: number[] = [];
  const bigRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    smallRates.push(await sendRate(small));
    bigRates.push(await sendRate(big));
  }
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const s = med(smallRates);
  const b = med(bigRates);
  const f = (x: number) => x.toFixed(0).padStart(7);
  console.log(`sequential sends, ${ROUNDS} interleaved rounds of ${SENDS} (median), room of 1 vs ${SIZE} members`);
  console.log(`  1 member                   ${f(s)} msg/s`);
  console.log(`  ${`${SIZE} members`.padEnd(26)} ${f(b)} msg/s   (ratio ${(b / s).toFixed(2)})`);
  console.log(`joins: first 100 members ${firstJoins.toFixed(2)} ms each, last 100 (at ${SIZE}) ${lastJoins.toFixed(2)} ms each (ratio ${(lastJoins / firstJoins).toFixed(2)})`);
  const mb = (n: number) => n / 1048576;
  console.log(`heap growth while the room grew to ${SIZE} members and was used: ${mb(heapAfter - heapBefore).toFixed(1)} MB`);
  // What the room's cached state holds: its memberships, the state-group cache (bases shared by
  // many groups count once), the write path's current-state entry; and the heap they free.
  const members = hs.storage.state.cachedMemberEntries();
  const groupEntries = hs.storage.state.cachedStateEntries();
  const held = hs.persister.roomState.heldEvents(big);
  hs.persister.roomState.delete(big);
  hs.storage.state.dropCaches();
  gc();
  const heapDropped = process.memoryUsage().heapUsed;
  const cachedMb = mb(heapAfter - heapDropped);
  console.log(`cached state (members ${members}, state-group entries ${groupEntries}, parsed events held by the room's entry ${held}): ${cachedMb.toFixed(1)} MB of heap`);
  report({
    name: `sends in a ${SIZE}-member room`, value: b, unit: 'msg/s', baseline: `${s.toFixed(0)} msg/s, 1-member room`,
    ratio: b / s, target: 'ratio >= 0.8', met: b / s >= 0.8,
  });
  report({
    name: `join at ${SIZE} members (avg of last 100)`, value: lastJoins, unit: 'ms', baseline: `${firstJoins.toFixed(2)} ms, first 100 joins`,
    ratio: lastJoins / firstJoins, target: '<= 2 ms', met: lastJoins <= 2,
  });
  report({
    name: `cached state of the ${SIZE}-member room`, value: cachedMb, unit: 'MB', baseline: `${mb(heapAfter - heapBefore).toFixed(1)} MB heap growth while it grew`,
    ratio: cachedMb / mb(heapAfter - heapBefore), target: 'bounded (printed)', met: null,
  });
  await hs.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
