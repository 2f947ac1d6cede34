import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { startServer, type TestServer } from '../spec-tests/helpers/server.js';
import type { Requester } from '../src/accounts/auth.js';
const CONFIG = { federation: { plain_http_loopback_peers: true, retry_backoff_min_ms: 50, retry_backoff_max_ms: 500 } };
function user(s: TestServer, localpart: string): Requester {
  const userId = `@${localpart}:${s.serverName}`;
  s.hs.storage.users.createUser(userId, null, Date.now());
  return { userId, tokenHash: localpart, appserviceId: null, rateLimited: false, isGuest: false };
}
const [A, B] = await Promise.all([startServer({ config: CONFIG }), startServer({ config: CONFIG })]);
const alice = user(A, 'alice'); const bob = user(B, 'bob');
let done: () => void = () => {}; let lastId = '';
B.hs.persister.afterCommit.push((ev) => { if (ev.pdu.event_id === lastId) done(); });
const { room_id } = await A.hs.rooms.createRoom(alice, { room_alias_name: 'bench' });
await B.hs.rooms.join(bob, `#bench:${A.serverName}`);
await new Promise((r) => setTimeout(r, 500));
const N = 2000;
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.start');
const t0 = performance.now();
const arrived = new Promise<void>((r) => { done = r; });
for (let i = 0; i < N; i++) lastId = A.hs.rooms.sendEvent(alice, room_id, 'm.room.message', { msgtype: 'm.text', body: `burst ${i}` }).event_id;
const t1 = performance.now();
await arrived;
const t2 = performance.now();
console.log('local', (N / (t1 - t0) * 1000).toFixed(0), 'replicated', (N / (t2 - t0) * 1000).toFixed(0), 'B-only', (N / (t2 - t1) * 1000).toFixed(0));
const { profile } = await s.post('Profiler.stop');
writeFileSync('/tmp/sender-prof/fed.cpuprofile', JSON.stringify(profile));
await B.close(); await A.close(); process.exit(0);
