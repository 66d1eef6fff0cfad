import type { Pipeline } from '../pipeline.js';
import { perTargetStory } from '../per-target-story.js';
import { mergeReporter } from './merge-reporter.js';

/**
 * phase1: each new update smoke-tested on every target it touches, one job per target in
 * parallel; a pass merges the update into updates/. Planner plan.ts, submit.ts, report
 * merge-reporter.ts.
 */
export const phase1: Pipeline = {
  name: 'phase1',
  reporter: (ctx) => mergeReporter({ repoPath: ctx.repoPath }),
  writesUpdateRepo: true,
  bisects: false,
  recheck: 'copy-run',
  story: perTargetStory((run) => (run.verdict === 'pass' ? `: merged into updates/ (commit trailer Sluice-Run: ${run.id})` : ''), (run) => run.updateId ?? 'phase1'),
  referenceClass: () => 'phase1/',
};
