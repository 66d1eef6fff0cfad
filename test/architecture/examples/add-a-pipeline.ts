// src/pipelines/<name>/index.ts: what a pipeline is, in one object. Add its name to
// PIPELINES and its run record's schemas to src/core/records/, then one line in
// PIPELINE_MODULES (src/pipelines/registry.ts); explain, status, the run page, schedules,
// rechecks and the engine's reporters pick it up from there.
import { z } from 'zod';
import type { Pipeline } from '../../../src/pipelines/pipeline.js';
import { perTargetStory } from '../../../src/pipelines/per-target-story.js';

export const nightlyRecheck: Omit<Pipeline, 'name'> = {
  // What its runs store, as the store decodes them (in src/core/records/<name>.ts).
  records: { inputs: z.object({ targets: z.array(z.string()), plannedAt: z.number() }), outcome: z.null() },
  // What a schedule or the dashboard's button does: a new run, the one going joined, or why nothing.
  async start(ctx, now) {
    const going = (await ctx.store.listRuns({ unfinished: true, limit: 1 }))[0];
    return going ? { kind: 'coalesced', runId: going.id } : { kind: 'nothing', why: `nothing to recheck at ${new Date(now).toISOString()}` };
  },
  // No controller: its jobs are all known when its run is written. No reporter: it changes nothing outside the store.
  writesUpdateRepo: false,
  bisects: false,
  recheck: 'start-again',
  story: perTargetStory({ inputs: () => [], reported: () => '', cellLabel: () => 'nightly recheck' }),
  referenceClass: () => 'nightly/',
};
