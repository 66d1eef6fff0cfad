import { fork, type ChildProcess } from 'node:child_process';
import type { ProcessRun, ProcessSpec } from './run-process.js';

/**
 * A command for the runner: a ProcessSpec as plain data. A sandboxed command gives its
 * sandbox's argv (the runner reads the exit back with sandboxExit), and `pgidFile` is
 * appended the process group id by the runner itself, as the process starts.
 */
export type RunnerProcessSpec = Omit<ProcessSpec, 'signal' | 'onSpawn' | 'sandbox'> & {
  readonly sandboxArgv?: readonly string[];
  readonly pgidFile?: string;
  /** Whether the engine wants a `spawned` message (an onSpawn of its own): one message less a job when not. */
  readonly tellSpawned?: boolean;
};

/** Messages to the runner. */
export type ToCommandRunner =
  | { readonly type: 'run'; readonly id: number; readonly spec: RunnerProcessSpec }
  | { readonly type: 'abort'; readonly id: number };

/** Messages from the runner. */
export type FromCommandRunner =
  | { readonly type: 'spawned'; readonly id: number; readonly pgid: number }
  | { readonly type: 'done'; readonly id: number; readonly run: ProcessRun };

interface Pending {
  readonly resolve: (run: ProcessRun) => void;
  readonly onSpawn: ((pgid: number) => void) | undefined;
  readonly started: number;
  pgid?: number;
  detach?: () => void;
}

/**
 * Starts job commands from a small process of its own (command-runner-process.ts) instead
 * of the engine's. Node's spawn is a fork of the calling process: forking the engine (its
 * heap, SQLite's pages, a web server) copied its page tables and stalled every thread of
 * it for the copy, twice a job counting the log's pipes read on its thread; the dispatch
 * bench's profile put a third of the engine's time there. The runner is forked once and
 * forks cheaply; it also reads the commands' output into their logs. When the engine goes
 * away (its IPC channel closes), the runner ends every command it started and exits; the
 * process-group files still let a restarted worker reap anything left.
 */
class CommandRunner {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  run(spec: RunnerProcessSpec, options: { signal?: AbortSignal; onSpawn?: (pgid: number) => void } = {}): Promise<ProcessRun> {
    const child = this.started();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const entry: Pending = { resolve, onSpawn: options.onSpawn, started: Date.now() };
      this.pending.set(id, entry);
      if (this.pending.size === 1) this.hold(child, true);
      const { signal } = options;
      if (signal) {
        const onAbort = () => this.send({ type: 'abort', id });
        signal.addEventListener('abort', onAbort, { once: true });
        entry.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.send({ type: 'run', id, spec: options.onSpawn ? { ...spec, tellSpawned: true } : spec });
      if (signal?.aborted) this.send({ type: 'abort', id });
    });
  }

  private send(m: ToCommandRunner): void {
    // A runner that just died answers through `lost`, which settles every pending run.
    if (this.child?.connected) this.child.send(m);
  }

  /** The runner keeps the engine's process alive only while a command runs. */
  private hold(child: ChildProcess, held: boolean): void {
    const channel = child.channel as { ref(): void; unref(): void } | null | undefined;
    if (held) { child.ref(); channel?.ref(); } else { child.unref(); channel?.unref(); }
  }

  private started(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(new URL('./command-runner-process.js', import.meta.url), [], {
      // No inspector or test-runner flags of the engine's own command line.
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.hold(child, false);
    child.on('message', (m: FromCommandRunner) => {
      const entry = this.pending.get(m.id);
      if (!entry) return;
      if (m.type === 'spawned') {
        entry.pgid = m.pgid;
        entry.onSpawn?.(m.pgid);
        return;
      }
      this.settle(m.id, m.run);
    });
    const lost = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      // Nobody reads those commands' output any more: end those whose group is known (the
      // provider reaps the others from their process-group files), and say why.
      for (const [id, entry] of [...this.pending]) {
        try { if (entry.pgid) process.kill(-entry.pgid, 'SIGKILL'); } catch { /* already gone */ }
        this.settle(id, { exit: { kind: 'spawn_failed', message: `the process starting job commands stopped: ${why}` }, durationMs: Date.now() - entry.started, logBytes: 0 });
      }
    };
    child.on('error', (e) => lost(e.message));
    child.on('exit', (code, signal) => lost(signal ? `it was killed by ${signal}` : `it exited with status ${code}`));
    this.child = child;
    return child;
  }

  private settle(id: number, run: ProcessRun): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.detach?.();
    if (this.pending.size === 0 && this.child) this.hold(this.child, false);
    entry.resolve(run);
  }
}

const shared = new CommandRunner();

/** runProcess, started by the process's command runner. */
export function runCommand(spec: RunnerProcessSpec, options: { signal?: AbortSignal; onSpawn?: (pgid: number) => void } = {}): Promise<ProcessRun> {
  return shared.run(spec, options);
}
