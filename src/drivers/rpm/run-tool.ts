import { execFile } from 'node:child_process';

/** How a tool ended: a value, so that callers can tell "the tool said no" from "the tool never ran". */
export type ToolRun =
  | { readonly kind: 'exited'; readonly code: number; readonly stdout: string; readonly stderr: string; readonly durationMs: number }
  | { readonly kind: 'not_run'; readonly message: string; readonly stdout: string; readonly stderr: string; readonly durationMs: number };

export interface ToolOptions {
  readonly cwd?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/**
 * Runs rpm, createrepo_c or dnf with an argument vector, never a shell, in the C locale
 * (their output is parsed). A missing binary, a timeout or a cancel is `not_run`.
 */
export function runTool(command: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(command, [...args], {
      cwd: opts.cwd,
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      signal: opts.signal,
    }, (error, stdout, stderr) => {
      const durationMs = Date.now() - started;
      if (!error) return resolve({ kind: 'exited', code: 0, stdout, stderr, durationMs });
      const code: unknown = error.code;
      if (typeof code === 'number') return resolve({ kind: 'exited', code, stdout, stderr, durationMs });
      const why = error.killed ? `killed after ${durationMs} ms (timeout or cancel)` : error.message;
      resolve({ kind: 'not_run', message: `${command}: ${why}`, stdout, stderr, durationMs });
    });
  });
}

/** The tool's stdout, or an error naming the command and what it printed. */
export async function toolOutput(command: string, args: readonly string[], opts: ToolOptions = {}): Promise<string> {
  const run = await runTool(command, args, opts);
  if (run.kind === 'exited' && run.code === 0) return run.stdout;
  const why = run.kind === 'not_run' ? run.message : `exit ${run.code}`;
  throw new Error(`${command} ${args.join(' ')} failed (${why}): ${run.stderr.trim()}`);
}
