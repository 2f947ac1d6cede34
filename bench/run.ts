// `npm run bench`: runs every benchmark in sequence, each in a fresh process, then prints one table.
// One bench: npx tsx bench/<name>.ts
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const only = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .filter((name) => only.length === 0 || only.includes(name));

const rows: { bench: string; seconds: string; status: string; figures: string[] }[] = [];
for (const bench of benches) {
  process.stderr.write(`running bench/${bench}.ts ...\n`);
  const start = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, `${bench}.ts`)], { cwd: join(dir, '..'), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const lines = `${r.stdout}`.split('\n').filter((l) => l.trim() !== '');
  const status = r.status === 0 ? 'ok' : `FAILED (${r.status ?? r.signal})`;
  rows.push({ bench, seconds: ((Date.now() - start) / 1000).toFixed(0), status, figures: r.status === 0 ? lines : [...lines, ...`${r.stderr}`.split('\n').slice(-5)] });
}

const w = Math.max(...rows.map((r) => r.bench.length), 5);
console.log(`${'bench'.padEnd(w)}  ${'time'.padStart(5)}  status  figures`);
console.log(`${'-'.repeat(w)}  -----  ------  ${'-'.repeat(60)}`);
for (const r of rows) {
  r.figures.forEach((line, i) => {
    const head = i === 0 ? `${r.bench.padEnd(w)}  ${`${r.seconds}s`.padStart(5)}  ${r.status.padEnd(6)}` : `${''.padEnd(w)}  ${''.padStart(5)}  ${''.padEnd(6)}`;
    console.log(`${head}  ${line}`);
  });
  if (r.figures.length === 0) console.log(`${r.bench.padEnd(w)}  ${`${r.seconds}s`.padStart(5)}  ${r.status}`);
}
process.exit(rows.every((r) => r.status === 'ok') ? 0 : 1);
