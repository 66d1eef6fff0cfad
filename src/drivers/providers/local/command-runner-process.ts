import { appendFileSync } from 'node:fs';
import type { FromCommandRunner, ToCommandRunner } from './command-runner.js';
import { runProcess } from './run-process.js';
import { sandboxExit } from './sandbox.js';

/**
 * The command runner (command-runner.ts): runs each command the engine sends and answers
 * when it ends. The engine decides when jobs stop: a terminal's Ctrl-C or a service
 * manager's TERM reaches this process too and is left to the engine, which hands its jobs
 * back through here. When the engine is gone, every command still running is ended.
 */
const send = (m: FromCommandRunner) => {
  if (process.connected) process.send?.(m);
};
const running = new Map<number, { stop: AbortController; pgid?: number }>();

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);

process.on('disconnect', () => {
  for (const { pgid } of running.values()) {
    try { if (pgid) process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  }
  process.exit(0);
});

process.on('message', (m: ToCommandRunner) => {
  if (m.type === 'abort') {
    running.get(m.id)?.stop.abort();
    return;
  }
  const { id, spec } = m;
  const entry: { stop: AbortController; pgid?: number } = { stop: new AbortController() };
  running.set(id, entry);
  const { sandboxArgv, pgidFile, tellSpawned, ...rest } = spec;
  void runProcess({
    ...rest,
    signal: entry.stop.signal,
    onSpawn: (pgid) => {
      entry.pgid = pgid;
      // Written as the process starts, so a worker that dies now still reaps the group.
      if (pgidFile) {
        try { appendFileSync(pgidFile, `${pgid}\n`); } catch { /* the reaper finds fewer; the job goes on */ }
      }
      if (tellSpawned) send({ type: 'spawned', id, pgid });
    },
    ...(sandboxArgv ? { sandbox: { argv: sandboxArgv, exitOf: sandboxExit } } : {}),
  }).then((run) => {
    running.delete(id);
    send({ type: 'done', id, run });
  });
});
