import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/storage/db.js';
import { EventsStore } from '../src/storage/events.js';
const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'ins-')), 'x.db'));
db.pragma('cache_size = -65536'); db.pragma('mmap_size = 268435456');
const ev = new EventsStore(db);
const json = 'x'.repeat(700);
const N = 20000;
for (const batch of [1, 32]) {
  const t0 = performance.now();
  for (let b = 0; b < N / batch; b++) db.transaction(() => { for (let i = 0; i < batch; i++) {
    const id = `$${b}_${i}_${batch}_${Math.random().toString(36).slice(2)}:localhost`;
    ev.insertEvent({ event_id: id, stream_ordering: ev.allocateStreamOrdering(), room_id: '!r:localhost', type: 'm.room.message', state_key: null, sender: '@a:localhost', depth: b*batch+i, origin_server_ts: 1, received_ts: 1, age_ts: 1, json, outlier: 0, rejected_reason: null, hash_mismatch: 0, state_group_before: 1, state_group: 1 }, ['$prev:localhost'], ['$a:l', '$b:l', '$c:l']);
  } })();
  console.log(`batch ${batch}: ${((performance.now() - t0) * 1000 / N).toFixed(1)} us per insertEvent`);
}
