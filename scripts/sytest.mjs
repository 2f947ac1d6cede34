#!/usr/bin/env node
// npm run sytest [-- [--guard FILE] [--write-passing FILE] [tests/10apidoc tests/30rooms/01state.pl ...]]
//
// Runs the late-2015 SyTest (../shared/sytest, beside this repository) against two fresh servers
// in Synapse's 2015 topology: server_name "localhost:<fed port>", the client API in plain HTTP on
// its own port, federation over TLS (self-signed) on the port in the name. The first server loads
// the application-service registration and the recaptcha settings SyTest prints. Prints a table
// per group and the total line; leaves no process behind (also on Ctrl-C).
//
//   --guard FILE          fail (exit 1) if a test named in FILE (one name a line, # comments)
//                         does not pass: a regression guard for CI
//   --write-passing FILE  write the names of the tests that passed to FILE
//
// Ports (fixed, because SyTest's own endpoint must be known to the first server's config):
//   SYTEST_HS1_PORT (20008)  SYTEST_HS1_FED_PORT (20448)   first server: client API, federation TLS
//   SYTEST_HS2_PORT (20009)  SYTEST_HS2_FED_PORT (20449)   second server
//   SYTEST_TEST_SERVER_PORT (20099)                        SyTest's endpoint (appservice, recaptcha, push)
// Other variables: SYTEST_SHARED (default <repo>/../shared/sytest), SYTEST_KEEP=1 keeps the temp
// folder (server logs, configs, raw TAP), SYTEST_QUIET=1 prints only the table.
// Exit status: 0 (the report was produced; with --guard: no listed test failed), 1 guard failure,
// 2 the run could not be made.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, openSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import YAML from 'yaml';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// shared/ lies beside the clone (a git worktree one level deeper finds it beside its parent).
const shared = resolve(process.env.SYTEST_SHARED
  ?? [join(repo, '..', 'shared', 'sytest'), join(repo, '..', '..', 'shared', 'sytest')].find((p) => existsSync(join(p, 'run.sh')))
  ?? join(repo, '..', 'shared', 'sytest'));
const runSh = join(shared, 'run.sh');
const env = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) die(`${name}=${v}: not a port`);
  return n;
};

function die(msg, code = 2) {
  console.error(`sytest: ${msg}`);
  process.exitCode = code;
  throw new Exit();
}
class Exit extends Error {}

// ---- arguments
let guardFile = null;
let writePassing = null;
const selection = [];
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--guard') guardFile = argv[++i];
    else if (argv[i] === '--write-passing') writePassing = argv[++i];
    else selection.push(argv[i]);
  }
}

const ports = {
  hs1: env('SYTEST_HS1_PORT', 20008),
  hs1Fed: env('SYTEST_HS1_FED_PORT', 20448),
  hs2: env('SYTEST_HS2_PORT', 20009),
  hs2Fed: env('SYTEST_HS2_FED_PORT', 20449),
  sytest: env('SYTEST_TEST_SERVER_PORT', 20099),
};
const quiet = process.env.SYTEST_QUIET === '1';
const work = mkdtempSync(join(tmpdir(), 'hs-sytest-'));
const children = new Set();

// ---- cleanup: every child is its own process group, killed as a group
let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    const alive = [...children];
    for (const c of alive) killGroup(c, 'SIGTERM');
    await Promise.race([
      Promise.all(alive.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r))))),
      new Promise((r) => setTimeout(r, 8000).unref()),
    ]);
    for (const c of alive) killGroup(c, 'SIGKILL');
    if (process.env.SYTEST_KEEP === '1') console.log(`sytest: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}
function killGroup(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`sytest: ${sig}, stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

function startChild(cmd, args, opts) {
  const child = spawn(cmd, args, { detached: true, ...opts });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function portFree(port) {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

// ---- servers
function printRegistration() {
  const out = spawnSync(runSh, ['--print-as-registration'], {
    env: { ...process.env, SYTEST_TEST_SERVER_PORT: String(ports.sytest) }, encoding: 'utf8',
  });
  if (out.status !== 0) die(`${runSh} --print-as-registration failed: ${out.stderr || out.error}`);
  const text = out.stdout;
  const recaptcha = {
    recaptcha_siteverify_api: /recaptcha_siteverify_api[^:]*:\s*(\S+)/.exec(text)?.[1],
    recaptcha_public_key: /recaptcha_public_key:\s*(\S+)/.exec(text)?.[1],
    recaptcha_private_key: /recaptcha_private_key:\s*(\S+)/.exec(text)?.[1],
  };
  return { registration: text, recaptcha };
}

async function startServer(n, port, fedPort, extra) {
  const dir = join(work, `hs${n}`);
  const configPath = join(dir, 'homeserver.yaml');
  const serverName = `localhost:${fedPort}`;
  const gen = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', configPath, '--generate-config',
    '--server-name', serverName, '--port', String(port)], { cwd: repo, encoding: 'utf8' });
  if (gen.status !== 0) die(`generating the config of server ${n} failed:\n${gen.stderr}${gen.stdout}`);
  const cfg = YAML.parse(readFileSync(configPath, 'utf8'));
  Object.assign(cfg, {
    log_level: 'info',
    rate_limiting: { per_second: 1000, burst: 1000 },
    ...extra,
  });
  cfg.federation = { ...cfg.federation, port: fedPort, tls: true, plain_http_loopback_peers: false };
  writeFileSync(configPath, YAML.stringify(cfg));
  const log = join(dir, 'homeserver.log');
  const fd = openSync(log, 'a');
  const child = startChild(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', configPath], {
    cwd: repo, stdio: ['ignore', fd, fd],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) die(`server ${n} exited (${child.exitCode}); its log:\n${readFileSync(log, 'utf8').slice(-3000)}`);
    try {
      const res = await fetch(`${url}/_matrix/client/api/v1/login`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) die(`server ${n} did not answer on ${url} within 90 s (log: ${log})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, serverName, log };
}

// ---- the run
function listTests() {
  const out = spawnSync(runSh, ['--list', ...selection], {
    env: { ...process.env, SYTEST_DIR: join(work, 'sytest-list') }, encoding: 'utf8',
  });
  if (out.status !== 0) die(`${runSh} --list failed:\n${out.stderr}`);
  return out.stdout.split('\n').filter((l) => l.startsWith('tests/')).map((l) => {
    const [file, name] = l.split('\t');
    return { group: file.split('/')[1].replace(/\.pl$/, ''), name };
  });
}

async function runSyTest(hs1, hs2) {
  const child = startChild(runSh, selection, {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      HS_URL: hs1.url, HS_SERVER_NAME: hs1.serverName,
      HS2_URL: hs2.url, HS2_SERVER_NAME: hs2.serverName,
      SYTEST_TEST_SERVER_PORT: String(ports.sytest),
      SYTEST_DIR: join(work, 'sytest'),
      SYTEST_LOG: join(work, 'sytest.tap'),
    },
  });
  const lines = [];
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    lines.push(line);
    if (!quiet) console.log(line);
  });
  const code = await new Promise((r) => child.once('exit', (c) => r(c ?? 2)));
  if (cleaning) throw new Exit(); // interrupted: the signal handler reports and exits
  await new Promise((r) => (rl.closed ? r() : rl.once('close', r)));
  return { code, lines };
}

/** Top-level TAP results, matched in order to the listed tests (names may repeat across files). */
function results(list, lines) {
  const out = [];
  let next = 0;
  for (const line of lines) {
    const m = /^(not )?ok (\d+) (.*)$/.exec(line);
    if (!m) continue;
    let name = m[3];
    let outcome = m[1] ? 'failed' : 'passed';
    const skip = / # skip .*$/.exec(name);
    if (skip) {
      name = name.slice(0, skip.index);
      outcome = 'skipped';
    }
    name = name.replace(/ # TODO expected fail$/, '').replace(/ \(\d+ subtests\)$/, '');
    let i = list.findIndex((t, j) => j >= next && t.name === name);
    if (i < 0) i = list.findIndex((t) => t.name === name);
    const group = i >= 0 ? list[i].group : '(unknown)';
    if (i >= next) next = i + 1;
    out.push({ group, name, outcome });
  }
  return out;
}

function table(list, res) {
  const groups = new Map();
  for (const t of list) if (!groups.has(t.group)) groups.set(t.group, { passed: 0, failed: 0, skipped: 0, total: 0 });
  for (const t of list) groups.get(t.group).total++;
  for (const r of res) {
    if (!groups.has(r.group)) groups.set(r.group, { passed: 0, failed: 0, skipped: 0, total: 0 });
    groups.get(r.group)[r.outcome]++;
  }
  const rows = [['group', 'passed', 'failed', 'skipped', 'total']];
  const sum = { passed: 0, failed: 0, skipped: 0, total: 0 };
  for (const [g, c] of groups) {
    const notRun = Math.max(0, c.total - c.passed - c.failed - c.skipped);
    c.failed += notRun; // a test that never reported counts as failed
    rows.push([g, c.passed, c.failed, c.skipped, c.total]);
    for (const k of Object.keys(sum)) sum[k] += c[k];
  }
  rows.push(['total', sum.passed, sum.failed, sum.skipped, sum.total]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const fmt = (r) => r.map((v, i) => (i === 0 ? String(v).padEnd(w[i]) : String(v).padStart(w[i]))).join('  ');
  console.log('');
  console.log(fmt(rows[0]));
  for (const r of rows.slice(1, -1)) console.log(fmt(r));
  console.log(fmt(rows.at(-1)));
  console.log(`${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
  return sum;
}

async function main() {
  if (!existsSync(runSh)) die(`${runSh} not found (SyTest is expected in ../shared/sytest beside the repository; set SYTEST_SHARED)`);
  for (const [k, p] of Object.entries(ports)) {
    if (!(await portFree(p))) die(`port ${p} (${k}) is in use; choose others with SYTEST_HS1_PORT, SYTEST_HS1_FED_PORT, SYTEST_HS2_PORT, SYTEST_HS2_FED_PORT, SYTEST_TEST_SERVER_PORT`);
  }
  const list = listTests();
  const { registration, recaptcha } = printRegistration();
  const regPath = join(work, 'appservice-sytest.yaml');
  writeFileSync(regPath, registration);
  const first = { app_service_config_files: [regPath] };
  if (recaptcha.recaptcha_siteverify_api) Object.assign(first, recaptcha);
  const [hs1, hs2] = await Promise.all([
    startServer(1, ports.hs1, ports.hs1Fed, first),
    startServer(2, ports.hs2, ports.hs2Fed, {}),
  ]);
  if (!quiet) console.log(`# servers: ${hs1.serverName} (${hs1.url}), ${hs2.serverName} (${hs2.url}); logs in ${work}`);
  const { code, lines } = await runSyTest(hs1, hs2);
  if (code !== 0 && code !== 1) die(`run.sh exited with status ${code}`);
  const res = results(list, lines);
  table(list, res);
  if (writePassing) {
    const names = res.filter((r) => r.outcome === 'passed').map((r) => r.name);
    writeFileSync(writePassing, names.join('\n') + '\n');
    console.log(`sytest: wrote ${names.length} passing test names to ${writePassing}`);
  }
  if (guardFile) {
    const listed = readFileSync(guardFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const passed = new Set(res.filter((r) => r.outcome === 'passed').map((r) => r.name));
    const regressed = listed.filter((n) => !passed.has(n));
    if (regressed.length) {
      console.log(`sytest: ${regressed.length} of ${listed.length} tests listed in ${guardFile} did not pass:`);
      for (const n of regressed) console.log(`  ${n}`);
      process.exitCode = 1;
    } else {
      console.log(`sytest: all ${listed.length} tests listed in ${guardFile} passed`);
    }
  }
}

try {
  await main();
} catch (err) {
  if (!(err instanceof Exit)) {
    console.error(err);
    process.exitCode = 2;
  }
} finally {
  await cleanup();
}
