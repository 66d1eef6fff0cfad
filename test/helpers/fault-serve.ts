import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mulberry32 } from '../../src/sim/prng.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.js';

/**
 * What the reliability suites share: `sluice serve` as a real process, a seeded random
 * source the suites print so a failure can be replayed, and the checks that nothing
 * outlived the test (job processes) or happened twice (git commits).
 */

export interface Served {
  readonly process: ChildProcess;
  /** Resolves once serve says it is working (or rejects when it exits before). */
  readonly working: Promise<void>;
  /** Everything it wrote to standard error so far. */
  stderr(): string;
}

/**
 * `sluice serve` in `dir`, on the store at `storeUrl`, as an operator runs it: without a
 * dashboard unless `listen` says where (`127.0.0.1:0` for a free port); `hiding` a
 * directory it must not see (another host's disk), over which an empty file system is
 * mounted in a mount namespace of its own (root only).
 */
export function serve(dir: string, storeUrl: string, env: Readonly<Record<string, string>> = {}, opts: { listen?: string; hiding?: string } = {}): Served {
  const sluice = [process.execPath, join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', opts.listen ?? 'off'];
  const [command, ...args] = opts.hiding === undefined ? sluice
    : ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs hidden "$0" && exec "$@"', opts.hiding, ...sluice];
  const child = spawn(command as string, args, {
    cwd: dir, env: { ...process.env, ...env, SLUICE_STORE: storeUrl }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const working = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += String(d);
      if (err.includes('sluice serve: working')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`serve exited (${signal ?? code}) before working:\n${err}`)));
  });
  // A kill before serve was working is expected in the chaos suite: never an unhandled rejection.
  working.catch(() => undefined);
  return { process: child, working, stderr: () => err };
}

export const exited = (p: ChildProcess): Promise<void> =>
  new Promise((resolve) => { if (p.exitCode !== null || p.signalCode !== null) resolve(); else p.once('exit', () => resolve()); });

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `look` every 100 ms until it finds something; fails after `timeoutMs` with `context()` (the serves' output). */
export async function until<T>(what: string, look: () => Promise<T | undefined>, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await look();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s\n${context()}`);
    await sleep(100);
  }
}

/** The simulator's seeded generator: the same sequence for the same seed on every machine. */
export const seededRandom = mulberry32;

/** The seed from `variable` in the environment when set (to replay a failure), else `fallback`. */
export function seedFrom(variable: string, fallback: number): number {
  const text = process.env[variable];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`${variable}=${text} is not an integer`);
  return n;
}

/** Processes still running (not zombies) whose environment names one of these runs. */
export function liveJobProcesses(runs: readonly string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state === 'Z' || state === 'X') continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (runs.some((r) => env.includes(`SLUICE_RUN=${r}`))) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** Subjects of every commit of the repository, newest first. */
export function gitSubjects(repo: string): string[] {
  return execFileSync('git', ['-C', repo, 'log', '--format=%s'], { encoding: 'utf8' }).trim().split('\n');
}

/** The update ids in one folder of the repository at HEAD. */
export function gitFolder(repo: string, folder: string): string[] {
  return execFileSync('git', ['-C', repo, 'ls-files', '--', `${folder}/`], { encoding: 'utf8' })
    .split('\n').filter((p) => p.endsWith('.yml')).map((p) => p.slice(folder.length + 1, -'.yml'.length)).sort();
}
