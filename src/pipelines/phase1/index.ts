import { RUN_RECORD_SCHEMAS } from '../../core/records/run-record.js';
import type { Pipeline } from '../pipeline.js';
import { perTargetStory } from '../per-target-story.js';
import { mergeReporter } from './merge-reporter.js';
import { testedWithLines } from '../../core/tested-with-text.js';
import { specView } from '../../engine/job-spec-view.js';

/**
 * phase1: each new update smoke-tested on every target it touches, one job per target in
 * parallel; a pass merges the update into updates/. Planner plan.ts, submit.ts, report
 * merge-reporter.ts.
 */
export const phase1: Pipeline = {
  name: 'phase1',
  records: RUN_RECORD_SCHEMAS.phase1,
  reporter: (ctx) => mergeReporter({ repoPath: ctx.repoPath }),
  writesUpdateRepo: true,
  bisects: false,
  recheck: 'copy-run',
  story: perTargetStory({
    inputs(run) {
      if (run.pipeline !== 'phase1') return [];
      const i = run.inputs;
      return [
        `  inputs: ${i.updateFile} (sha256 ${i.contentHash.slice(0, 12)}), by ${i.author.name} <${i.author.email}>`,
        `          config ${i.configFile} (sha256 ${i.configHash.slice(0, 12)})${i.rerunOf ? `; ${i.onlyFailed ? 'recheck failed' : 'a rerun'} of ${i.rerunOf}` : ''}`,
      ];
    },
    reported: (run) => (run.verdict === 'pass' ? `: merged into updates/ (commit trailer Sluice-Run: ${run.id})` : ''),
    cellLabel: (run) => run.updateId ?? 'phase1',
    alongside: (run, jobs) => (run.pipeline === 'phase1'
      ? testedWithLines(run.inputs.testedWith ?? [], jobs.map((j) => ({ target: j.target, testedWith: specView(j)?.testedWith })))
      : []),
  }),
  referenceClass: () => 'phase1/',
};
