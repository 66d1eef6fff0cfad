import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** How a process ended: a value with a reason (Buildkite's process_exit), never an exception. */
export type ProcessExit =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signalled'; readonly signal: string }
  | { readonly kind: 'timeout'; readonly afterMs: number }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'output_limit'; readonly limitBytes: number }
  | { readonly kind: 'spawn_failed'; readonly message: string }
  /** The log could not be written (the disk is full): the job's output is lost, so it is stopped. */
  | { readonly kind: 'log_failed'; readonly message: string; readonly code: string | undefined };

export interface ProcessRun {
  readonly exit: ProcessExit;
  readonly durationMs: number;
  /** Bytes written to the log (at most the limit). */
  readonly logBytes: number;
}

export interface ProcessSpec {
  /** A shell command line from the operator's configuration, run by /bin/sh -c. */
  readonly command: string;
  readonly cwd: string;
  /** The complete environment: untrusted values (build ids, notes) travel here, never in the command. */
  readonly env: Readonly<Record<string, string>>;
  readonly logPath: string;
  readonly timeoutMs: number;
  readonly maxLogBytes: number;
  /** Time between SIGTERM and SIGKILL for the process group. */
  readonly killGraceMs?: number;
  readonly signal?: AbortSignal;
  /** Told the process group id as soon as the process exists (for reaping after a crash). */
  readonly onSpawn?: (pgid: number) => void;
  /**
   * A sandbox's argv (bwrap and its options, ending in `--`) to run the shell in. Its exit
   * status is read back by `exitOf`, and a sandbox that never started the command (bwrap
   * could not set it up) is `spawn_failed`, not the test's failure.
   */
  readonly sandbox?: { readonly argv: readonly string[]; readonly exitOf: (code: number) => ProcessExit };
}

/**
 * Inside a sandbox the shell first tells the worker, on descriptor 3, that it runs, closes
 * that descriptor (no daemon of the job may hold it) and becomes the command's shell.
 */
const ANNOUNCE_THEN_RUN = 'printf . >&3 && exec 3>&- && exec /bin/sh -c "$1"';

/**
 * Runs one command in a process group of its own, streaming stdout and stderr into one log
 * file. A timeout, a cancel or a log over its limit kills the whole group (a test's
 * background daemons included): first SIGTERM, then SIGKILL after the grace period.
 */
export function runProcess(spec: ProcessSpec): Promise<ProcessRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    // Opened at the first output: a command that prints nothing costs no file operation.
    let log: WriteStream | undefined;
    const openLog = (): WriteStream => {
      const stream = createWriteStream(spec.logPath, { flags: 'a' });
      // Without a listener a failed write (ENOSPC) would end the whole process.
      stream.on('error', (e: NodeJS.ErrnoException) => {
        logError ??= e;
        killGroup({ kind: 'log_failed', message: e.message, code: e.code });
      });
      return stream;
    };
    let logBytes = 0;
    let logError: NodeJS.ErrnoException | undefined;
    let ending: ProcessExit | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const [file, ...args] = spec.sandbox
      ? [...spec.sandbox.argv, '/bin/sh', '-c', ANNOUNCE_THEN_RUN, 'sluice-job', spec.command]
      : ['/bin/sh', '-c', spec.command];
    const child = spawn(file as string, args, {
      cwd: spec.cwd, env: { ...spec.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe', ...(spec.sandbox ? ['pipe' as const] : [])],
    });
    let commandRan = !spec.sandbox;
    (child.stdio[3] as Readable | undefined)?.on('data', () => { commandRan = true; });
    if (child.pid !== undefined) spec.onSpawn?.(child.pid);
    const killGroup = (why: ProcessExit) => {
      if (ending) return;
      ending = why;
      const signalGroup = (sig: NodeJS.Signals) => { try { if (child.pid) process.kill(-child.pid, sig); } catch { /* already gone */ } };
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), spec.killGraceMs ?? 5000);
    };
    const onData = (chunk: Buffer) => {
      const room = spec.maxLogBytes - logBytes;
      log ??= openLog();
      if (chunk.length <= room) {
        log.write(chunk);
        logBytes += chunk.length;
        return;
      }
      // Any byte past the limit stops the job, even when the limit was met exactly before.
      if (room > 0) log.write(chunk.subarray(0, room));
      logBytes += Math.max(0, room);
      killGroup({ kind: 'output_limit', limitBytes: spec.maxLogBytes });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const timer = setTimeout(() => killGroup({ kind: 'timeout', afterMs: spec.timeoutMs }), spec.timeoutMs);
    const onAbort = () => killGroup({ kind: 'cancelled' });
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    if (spec.signal?.aborted) onAbort();
    const finish = (exit: ProcessExit) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      // Whatever the leader did, no member of its group may outlive the job.
      try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
      const done = () => resolve({ exit: logError && exit.kind !== 'log_failed' ? { kind: 'log_failed', message: logError.message, code: logError.code } : exit, durationMs: Date.now() - started, logBytes });
      if (logError || !log || log.destroyed) done();
      else log.end((e?: Error | null) => { if (e) logError ??= e as NodeJS.ErrnoException; done(); });
    };
    let leader: ProcessExit | undefined;
    child.on('error', (e) => finish({ kind: 'spawn_failed', message: e.message }));
    child.on('exit', (code, signal) => {
      leader = code !== null ? { kind: 'exited', code } : { kind: 'signalled', signal: signal ?? 'unknown' };
      // A daemon left behind would hold the log pipes open and outlive the job: end the group.
      try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
    });
    // Decided on close, when descriptor 3 has been read to its end.
    const sandboxed = (exit: ProcessExit): ProcessExit => {
      if (!spec.sandbox || exit.kind !== 'exited') return exit;
      if (!commandRan) return { kind: 'spawn_failed', message: `the sandbox did not start (${file} exited with status ${exit.code}; its message is in the log)` };
      return spec.sandbox.exitOf(exit.code);
    };
    child.on('close', () => finish(ending ?? sandboxed(leader ?? { kind: 'signalled', signal: 'unknown' })));
  });
}
