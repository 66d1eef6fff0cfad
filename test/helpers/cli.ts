import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { PROJECT_ROOT } from './paths.js';

export interface CliResult { status: number; stdout: string; stderr: string }

/** Runs a command in-process, against the real file system and store, capturing its output. */
export async function runCli(args: string[], opts: { cwd: string; env?: Record<string, string>; stdin?: string; now?: number }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    cwd: opts.cwd,
    env: { SLUICE_USER: 'tester', ...opts.env },
    stdoutIsTTY: false,
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    readStdin: () => new TextEncoder().encode(opts.stdin ?? ''),
    now: () => opts.now ?? Date.now(),
  };
  const status = await main(args, io);
  return { status, stdout, stderr };
}

/** Runs the real `sluice` executable, as a user or a script would. */
export function runBin(args: string[], opts: { cwd: string; input?: string; env?: Record<string, string> }): CliResult {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args], {
    cwd: opts.cwd, input: opts.input ?? '', encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
