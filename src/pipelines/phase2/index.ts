import { RUN_RECORD_SCHEMAS } from '../../core/records/run-record.js';
import type { Pipeline } from '../pipeline.js';
import { snapshotFiles } from '../../drivers/repo/snapshot-files.js';
import { newRunId } from '../../engine/hash.js';
import { phase2Controller, submitPhase2 } from './controller.js';
import { phase2Reporter } from './reporter.js';
import { phase2Story } from './story.js';

/**
 * phase2: everything in updates/ tested together on fresh nodes; a failing group is
 * bisected down to its culprits and the rest moves to ready/. Planner plan.ts (rounds:
 * nextPhase2Step), controller.ts (submit and advance), reporter.ts (the move), story.ts.
 */
export const phase2: Pipeline = {
  name: 'phase2',
  records: RUN_RECORD_SCHEMAS.phase2,
  async start(ctx, now) {
    const repoPath = await ctx.updateRepo();
    const r = await submitPhase2({ store: ctx.store, config: ctx.config, configHash: ctx.configHash, snapshot: await snapshotFiles(repoPath), repoPath, now, runId: newRunId(now) });
    if (r.ok) return { kind: 'started', runId: r.runId };
    if (r.kind === 'busy') return { kind: 'coalesced', runId: r.activeRunId };
    if (r.kind === 'nothing') return { kind: 'nothing', why: r.why };
    return { kind: 'nothing', why: r.problems.map((p) => p.message).join('; ') };
  },
  controller: (ctx) => phase2Controller({ config: ctx.config, store: ctx.store, now: ctx.now }),
  reporter: (ctx) => phase2Reporter({ repoPath: ctx.repoPath, store: ctx.store, now: ctx.now }),
  writesUpdateRepo: true,
  bisects: true,
  recheck: 'start-again',
  story: phase2Story,
  // The checks stage logs preparation only, the tests stage a provisioned node's run: each
  // is compared with its own kind.
  referenceClass: (spec) => `phase2/${spec.stage === 'checks' ? 'checks' : 'provision'}@`,
};
