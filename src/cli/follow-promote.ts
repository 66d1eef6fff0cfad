import type { Run, Store } from '../store/index.js';
import type { LoadedConfig } from './config-loader.js';
import { makeEngine } from './engine-setup.js';
import { EXIT } from './exit.js';
import { followRun } from './follow-run.js';
import type { Io } from './io.js';
import { failureDetails } from './render-run.js';
import { promoteStory } from '../pipelines/promote/story.js';
import { exitFor } from './submit.js';

/** How often a follower looks whether the promote it follows now waits for something outside it (its approval). */
const WAIT_LOOK_MS = 250;

/**
 * Runs a promote in this process until its verdict, as `sluice promote` and `sluice approve`
 * do; or until it waits for its approval (`promote.approval: required`), which may take days:
 * then it says so and returns 0, the run waiting in the store for `sluice approve RUN`.
 */
export async function followPromote(io: Io, loaded: LoadedConfig, store: Store, runId: string, opts: { json?: boolean }): Promise<number> {
  const engine = await makeEngine(loaded, store, { log: (l) => io.err(`${l}\n`), env: io.env });
  engine.start();
  const waiting = new AbortController();
  const watching = watchForWait(store, runId, waiting);
  const { run, jobs, interrupted } = await followRun(io, engine, store, runId, { json: opts.json === true, stop: waiting.signal });
  waiting.abort();
  await watching;
  await engine.stop();
  if (interrupted) return EXIT.error;
  if (run.state !== 'finished') {
    const now = (await store.getRun(runId)) ?? run;
    if (opts.json) io.out(`${JSON.stringify({ run: now, jobs }, null, 2)}\n`);
    else io.out(`promote ${runId} ${now.reason ?? 'waits'}\n`);
    return EXIT.ok;
  }
  if (opts.json) io.out(`${JSON.stringify({ run, jobs }, null, 2)}\n`);
  else io.out(`${[...promoteStory.outcomeLines(run, jobs, failureDetails), ...failureDetails(jobs)].join('\n')}\n`);
  if (run.reportedAt === null) io.err('sluice: the verdict is recorded but pushed/ and failed/ are not written yet; `sluice serve` keeps trying\n');
  return exitFor(run);
}

/** A run unfinished with a reason waits for something outside it (the store's parkControlledRun). */
export const isWaiting = (run: Run): boolean => run.state !== 'finished' && run.reason !== null && run.cancelRequestedAt === null;

async function watchForWait(store: Pick<Store, 'getRun'>, runId: string, waiting: AbortController): Promise<void> {
  while (!waiting.signal.aborted) {
    const run = await store.getRun(runId).catch(() => undefined);
    if (run && isWaiting(run)) { waiting.abort(); return; }
    await new Promise((resolve) => setTimeout(resolve, WAIT_LOOK_MS));
  }
}
