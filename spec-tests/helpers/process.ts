// The server as a user runs it: `node --import tsx src/main.ts` (what `npm start` execs), one process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..', '..');
// Resolved from the repository, so tests may run the CLI from any working directory.
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface RunningServer {
  child: ChildProcess;
  output(): string;
  /** Resolves when the log says the server is running. */
  ready: Promise<void>;
  exit: Promise<number | null>;
  /** Signals the process group (the server and anything it spawned, e.g. openssl). */
  kill(signal: NodeJS.Signals): void;
}

export function runCli(args: string[], cwd: string): RunningServer {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(ROOT, 'src', 'main.ts'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  const onData = (d: Buffer) => {
    out += d.toString();
    if (out.includes('homeserver running')) resolveReady();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = once(child, 'exit').then(([code]) => {
    rejectReady(new Error(`server exited (${code}) before it was ready:\n${out}`));
    return code as number | null;
  });
  ready.catch(() => {});
  let exited = false;
  exit.then(() => (exited = true));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      if (!exited) child.kill(signal);
    }
  };
  return { child, output: () => out, ready, exit, kill };
}
