import { RUN_RECORD_SCHEMAS } from '../../core/records/run-record.js';
import type { Pipeline } from '../pipeline.js';
import { newRunId } from '../../engine/hash.js';
import { promoteController } from './controller.js';
import { submitPromote } from './submit.js';
import { readyFiles } from './gates.js';
import { promoteReporter } from './reporter.js';
import { promoteStory } from './story.js';

/**
 * promote: the builds of ready/ composed into stage, stage tested, then published to
 * production at once. submit.ts, controller.ts (compose, test, publish), reporter.ts
 * (pushed/ and failed/), story.ts.
 */
export const promote: Pipeline = {
  name: 'promote',
  records: RUN_RECORD_SCHEMAS.promote,
  async start(ctx, now) {
    const repoPath = await ctx.updateRepo();
    const r = await submitPromote({ store: ctx.store, config: ctx.config, configHash: ctx.configHash, ready: await readyFiles(repoPath), repoPath, now, runId: newRunId(now) });
    if (r.ok) return { kind: 'started', runId: r.runId };
    if (r.kind === 'busy') return { kind: 'coalesced', runId: r.activeRunId };
    return { kind: 'nothing', why: r.why };
  },
  controller: (ctx) => promoteController(ctx),
  reporter: (ctx) => promoteReporter({ repoPath: ctx.repoPath, store: ctx.store, now: ctx.now }),
  writesUpdateRepo: true,
  bisects: false,
  recheck: 'start-again',
  story: promoteStory,
  referenceClass: () => 'promote/',
};
