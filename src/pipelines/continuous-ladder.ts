import { contentKey, type HeldContent, type RungView } from '../core/continuous-ladder.js';
import { parseDuration } from '../core/duration.js';
import { readyBlobs } from '../drivers/repo/push-ready.js';
import { snapshotUpdates } from '../drivers/repo/move-to-ready.js';
import type { ContinuousRung } from '../engine/continuous-ladder.js';
import type { Run } from '../store/index.js';
import type { TriggerOutcome } from '../engine/schedule-log.js';
import type { Pipeline, StartContext } from './pipeline.js';
import { phase2 } from './phase2/index.js';
import { promote } from './promote/index.js';

/**
 * The rungs `ladder: continuous` drives (docs/schedules.md, "The continuous ladder"):
 * phase2 on updates/, promote on ready/. What a rung's runs took is read from their
 * records: a phase2 run's snapshot blobs (its batch), a promote run's ready/ blobs.
 */

/** Runs read back to learn what was taken: an update untouched in updates/ for longer than this many runs is tested again. */
const RUNS_LOOKED_AT = 100;
/** Content taken by a run that ended without a verdict on it (error, cancelled), or refused by a start, waits this long. */
export const CONTINUOUS_RETRY_MS = 15 * 60_000;

/** Its `config` and `configHash` are read at each look and start (a live view survives a reload). */
export interface ContinuousContext extends StartContext {
  /** The update repository's working copy as it is (no pull): read at every look. */
  readonly localRepo: () => Promise<string>;
}

export function continuousRungs(ctx: ContinuousContext): ContinuousRung[] {
  return [
    {
      name: 'phase2',
      // Read at each look: a reload of sluice.yaml changes the window at once.
      get policy() {
        const window = ctx.config.pipelines.phase2?.window;
        return { windowMs: window === undefined ? 0 : windowMs(window), retryMs: CONTINUOUS_RETRY_MS };
      },
      async look() {
        const snapshot = await snapshotUpdates(await ctx.localRepo());
        const holds = [...snapshot.blobs].map(([id, blob]) => ({ id, content: blob }));
        return takenBy(await ctx.store.listRuns({ pipeline: 'phase2', limit: RUNS_LOOKED_AT }), holds, (run) =>
          (run.pipeline === 'phase2' ? Object.entries(run.inputs.snapshot.blobs).map(([id, blob]) => ({ id, content: blob })) : []));
      },
      start: (now) => startOf(phase2, ctx, now),
    },
    {
      name: 'promote',
      policy: { windowMs: 0, retryMs: CONTINUOUS_RETRY_MS },
      async look() {
        const holds = (await readyBlobs(await ctx.localRepo())).map((f) => ({ id: f.id, content: f.blob }));
        return takenBy(await ctx.store.listRuns({ pipeline: 'promote', limit: RUNS_LOOKED_AT }), holds, (run) =>
          (run.pipeline === 'promote' ? run.inputs.ready.map((f) => ({ id: f.id, content: f.blob })) : []));
      },
      start: (now) => startOf(promote, ctx, now),
    },
  ];
}

/**
 * What the runs took: content a run gave its verdict on (pass or fail: a culprit stays in
 * updates/ until its packager changes it) is taken; content of a run that ended otherwise
 * (error, cancelled) is unsettled from its end; a run still going makes the rung busy.
 */
function takenBy(runs: readonly Run[], holds: readonly HeldContent[], contentOf: (run: Run) => HeldContent[]): RungView {
  const taken = new Set<string>();
  const unsettled = new Map<string, number>();
  let running = false;
  for (const run of runs) {
    if (run.state !== 'finished') running = true;
    const keys = contentOf(run).map(contentKey);
    if (run.state !== 'finished' || run.verdict === 'pass' || run.verdict === 'fail') {
      for (const k of keys) taken.add(k);
    } else {
      for (const k of keys) unsettled.set(k, Math.max(unsettled.get(k) ?? -Infinity, run.finishedAt ?? run.createdAt));
    }
  }
  for (const k of taken) unsettled.delete(k);
  return { holds, running, taken, unsettled };
}

async function startOf(p: Pipeline, ctx: ContinuousContext, now: number): Promise<TriggerOutcome> {
  if (!p.start) throw new Error(`${p.name} cannot be started by itself`);
  return p.start({ config: ctx.config, configHash: ctx.configHash, store: ctx.store, updateRepo: ctx.updateRepo }, now);
}

/** `pipelines.phase2.window` as the schema validated it. */
function windowMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${text}`);
  return ms;
}
