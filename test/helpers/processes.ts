import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The live processes (not zombies) whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return fields[0] !== 'Z' && fields[0] !== 'X' && Number(fields[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

/** The command runner a worker process `pid` forked (command-runner.ts), if it has one. */
export function commandRunnerOf(pid: number): number | undefined {
  return childrenOf(pid).find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('command-runner-process.js');
    } catch {
      return false;
    }
  });
}

/**
 * SIGKILLs a worker process together with its command runner, as a crash of the whole
 * host's worker would: the runner is stopped first so it cannot end the jobs when its
 * worker's channel closes, which leaves them for the reclaiming worker's reaper.
 */
export function killWithItsRunner(worker: ChildProcess): void {
  const runner = worker.pid === undefined ? undefined : commandRunnerOf(worker.pid);
  if (runner !== undefined) process.kill(runner, 'SIGSTOP');
  worker.kill('SIGKILL');
  if (runner !== undefined) process.kill(runner, 'SIGKILL');
}
