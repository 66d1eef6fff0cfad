import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess, type ProcessExit } from '../providers/local/run-process.js';

export interface SignHookRequest {
  /**
   * The operator's signing command (`promote.sign`): a shell command line run by
   * `/bin/sh -c`, or an argument vector run as it is. It comes from the config, never from
   * an update file, which is why a shell may read it.
   */
  readonly command: string | readonly string[];
  /** The RPMs to sign, in place. */
  readonly files: readonly string[];
  readonly cwd: string;
  /** The command's environment (default: Sluice's own); SLUICE_RPMS and SLUICE_RPMS_FILE are added. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default 10 minutes; then the command's whole process group is killed. */
  readonly timeoutMs?: number;
}

export type SignHookResult =
  | { readonly ok: true; readonly log: string }
  | { readonly ok: false; readonly reason: string; readonly log: string };

const MAX_LOG_BYTES = 1 << 20;

/**
 * Runs the operator's signing command over RPMs. The file names reach it only through
 * the environment, `SLUICE_RPMS` (one per line) and `SLUICE_RPMS_FILE` (a file listing
 * them, one per line), never spliced into the command line: a name is data, whatever
 * characters it holds. Anything but exit 0 is a failure, with the command's output.
 */
export async function runSignHook(req: SignHookRequest): Promise<SignHookResult> {
  if (req.files.some((f) => f.includes('\n') || f.includes('\0'))) {
    return { ok: false, reason: 'an RPM path contains a newline: it cannot be listed one per line', log: '' };
  }
  const dir = await mkdtemp(join(tmpdir(), 'sluice-sign-'));
  try {
    const list = join(dir, 'rpms');
    await writeFile(list, req.files.map((f) => `${f}\n`).join(''));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.env ?? process.env)) if (v !== undefined) env[k] = v;
    env.SLUICE_RPMS = req.files.join('\n');
    env.SLUICE_RPMS_FILE = list;
    const logPath = join(dir, 'log');
    const run = await runProcess({
      command: typeof req.command === 'string' ? req.command : argvAsShell(req.command),
      cwd: req.cwd, env, logPath, timeoutMs: req.timeoutMs ?? 10 * 60_000, maxLogBytes: MAX_LOG_BYTES, killGraceMs: 2000,
    });
    const log = await readFile(logPath, 'utf8').catch(() => '');
    if (run.exit.kind === 'exited' && run.exit.code === 0) return { ok: true, log };
    return { ok: false, reason: `the signing command ${describe(run.exit)}`, log };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An argument vector made one shell line, each word single-quoted: nothing in it is interpreted. */
function argvAsShell(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('the signing command is an empty list');
  return `exec ${argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`;
}

function describe(exit: ProcessExit): string {
  switch (exit.kind) {
    case 'exited': return `exited with status ${exit.code}`;
    case 'signalled': return `was killed by ${exit.signal}`;
    case 'timeout': return `ran over its ${exit.afterMs < 1000 ? `${exit.afterMs} ms` : `${Math.round(exit.afterMs / 1000)} s`} limit and was killed`;
    case 'cancelled': return 'was cancelled';
    case 'output_limit': return `printed more than ${exit.limitBytes} bytes and was killed`;
    case 'spawn_failed': return `could not be started: ${exit.message}`;
    case 'log_failed': return exit.code === 'ENOSPC' ? 'was stopped: no space left on device while writing its log' : `was stopped: cannot write its log: ${exit.message}`;
  }
}
