// Only the 32-in-flight createLocalEvent load of bench/core.ts, for a CPU profile:
//   node --cpu-prof --import tsx bench/profile/group.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openHomeserver } from '../../src/homeserver.js';
import { loadConfig } from '../../src/config.js';
import { writeDefaultConfig } from '../../src/config-template.js';
import type { Requester } from '../../src/accounts/auth.js';

const dir = mkdtempSync(join(tmpdir(), 'hs-bench-'));
try {
  const configPath = join(dir, 'homeserver.yaml');
  writeDefaultConfig(configPath, { serverName: 'localhost' });
  const hs = openHomeserver(loadConfig(configPath), { logger: pino({ level: 'silent' }) });
  const alice: Requester = { userId: '@alice:localhost', tokenHash: 'x', appserviceId: null, rateLimited: false, isGuest: false };
  hs.storage.users.createUser(alice.userId, null, Date.now());
  const { room_id } = await hs.rooms.createRoom(alice, { visibility: 'private' });
  const template = (i: number) => ({ type: 'm.room.message', room_id, sender: alice.userId, content: { msgtype: 'm.text', body: `message ${i}` } });
  const n = Number(process.env.N ?? 200);
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 32 }, async (_, w) => {
    for (let i = 0; i < n; i++) await hs.persister.createLocalEvent(template(w * n + i));
  }));
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${((32 * n) / s).toFixed(0)} events/s, mean batch ${(hs.persister.locks.stats.jobs / hs.persister.locks.stats.commits).toFixed(1)}`);
  await hs.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
