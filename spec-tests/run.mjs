// Runs the tap suites and ends with the line CI reads: "N passed, M failed".
// A "test" here is one named behaviour: a top-level t.test() in a spec file.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Each run writes its raw TAP to a folder of its own, so runs side by side don't mix.
const results = mkdtempSync(join(tmpdir(), 'hs-tap-'));
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const targets = args.filter((a) => !a.startsWith('-'));
// Only *.test.ts files are tests; helpers and fixtures beside them are not.
function* testFiles(p) {
  if (statSync(p).isFile()) return yield p;
  for (const name of readdirSync(p).sort()) {
    if (name === 'fixtures' || name === 'helpers') continue;
    const q = join(p, name);
    if (statSync(q).isDirectory()) yield* testFiles(q);
    else if (q.endsWith('.test.ts')) yield q;
  }
}
const files = (targets.length ? targets : ['spec-tests']).flatMap((t) => [...testFiles(t)]);
const resultPaths = files.map((p) => join(results, p) + '.tap');
const run = spawnSync(
  'node_modules/.bin/tap',
  ['--disable-coverage', '--allow-incomplete-coverage', '--timeout=300', `--output-dir=${results}`, ...flags, ...files],
  { stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of resultPaths) {
  if (!existsSync(file)) {
    failed++; // the file never reported: it crashed before tap could record it
    continue;
  }
  const lines = readFileSync(file, 'utf8').split('\n');
  let seen = 0;
  for (const line of lines) {
    const m = /^(not ok|ok) \d+( - .*)?$/.exec(line);
    if (!m) continue;
    seen++;
    if (/# (SKIP|TODO)\b/.test(line)) skipped++;
    else if (m[1] === 'ok') passed++;
    else failed++;
  }
  // A file that died before reporting any test still counts as a failure.
  if (seen === 0) failed++;
}
rmSync(results, { recursive: true, force: true });
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
