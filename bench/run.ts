// `npm run bench`: runs every benchmark in bench/ in sequence, each in a fresh process, then prints
// one table of the figures they report (their `BENCH {...}` lines, see bench/report.ts).
// Only some: npm run bench -- room-size long-poll. One bench alone: npx tsx bench/<name>.ts
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_PREFIX, type BenchFigure } from './report.js';

const NOT_BENCHES = new Set(['run.ts', 'report.ts']);
const TIMEOUT_MS = 15 * 60_000;
const dir = import.meta.dirname;
const only = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !NOT_BENCHES.has(f))
  .map((f) => f.slice(0, -3))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

interface Row { bench: string; seconds: number; ok: boolean; figures: BenchFigure[]; problem: string | null }
const rows: Row[] = [];
for (const bench of benches) {
  process.stderr.write(`running bench/${bench}.ts ...\n`);
  const start = Date.now();
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(dir, `${bench}.ts`)], {
    cwd: join(dir, '..'), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: TIMEOUT_MS,
  });
  const figures: BenchFigure[] = [];
  for (const line of `${r.stdout ?? ''}`.split('\n')) {
    if (line.startsWith(BENCH_PREFIX)) {
      try {
        figures.push(JSON.parse(line.slice(BENCH_PREFIX.length)) as BenchFigure);
      } catch {
        // a malformed line shows as a missing figure
      }
    } else if (line.trim() !== '') {
      process.stderr.write(`  ${line}\n`);
    }
  }
  const ok = r.status === 0;
  const problem = ok ? (figures.length === 0 ? 'no BENCH line' : null) : `FAILED (${r.error ? 'timeout' : r.status ?? r.signal}): ${`${r.stderr ?? ''}`.trim().split('\n').slice(-1)[0] ?? ''}`;
  if (!ok) process.stderr.write(`${r.stderr ?? ''}`.split('\n').slice(-10).join('\n') + '\n');
  rows.push({ bench, seconds: (Date.now() - start) / 1000, ok, figures, problem });
}

const num = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : String(Number(x.toPrecision(3))));
const table: string[][] = [['what', 'figure', 'baseline (same run)', 'ratio', 'target', 'met?']];
for (const r of rows) {
  for (const f of r.figures) {
    table.push([
      `${r.bench}: ${f.name}`, `${num(f.value)} ${f.unit}`, f.baseline ?? '', f.ratio == null ? '' : f.ratio.toFixed(2),
      f.target ?? '', f.met == null ? '' : f.met ? 'yes' : '**no**',
    ]);
  }
  if (r.problem) table.push([`${r.bench}`, r.problem, '', '', '', '']);
}
console.log(`\n${rows.length} benchmarks, ${Math.round(rows.reduce((a, r) => a + r.seconds, 0))} s (${rows.map((r) => `${r.bench} ${Math.round(r.seconds)} s`).join(', ')})\n`);
const esc = (s: string) => s.replaceAll('|', '\\|');
console.log(`| ${table[0].join(' | ')} |`);
console.log(`| ${table[0].map(() => '---').join(' | ')} |`);
for (const row of table.slice(1)) console.log(`| ${row.map(esc).join(' | ')} |`);
process.exit(rows.every((r) => r.ok && r.figures.length > 0) ? 0 : 1);
