import type { RunInputs } from '../engine/job-spec.js';
import type { Job, Run } from '../store/index.js';
import type { RunStory } from './run-story.js';

/**
 * The story of a run with one job per target and no rounds (phase1 of one update, an
 * images run): its inputs, each target's job, the collation rule. `reported` says what
 * its report changed.
 */
export function perTargetStory(reported: (run: Run) => string, cellLabel: (run: Run) => string = (run) => run.pipeline): RunStory {
  return {
    head(run: Run, jobs: readonly Job[], created: string): string[] {
      const inputs = run.inputs as Partial<RunInputs> | null;
      const out = [`run ${run.id}: ${run.pipeline} of update ${run.updateId ?? '-'}, created ${created}`];
      if (inputs) {
        const rerunOf = (inputs as { rerunOf?: string }).rerunOf;
        out.push(`  inputs: ${inputs.updateFile} (sha256 ${inputs.contentHash?.slice(0, 12)}), by ${inputs.author?.name} <${inputs.author?.email}>`);
        out.push(`          config ${inputs.configFile} (sha256 ${inputs.configHash?.slice(0, 12)})${rerunOf ? `; a rerun of ${rerunOf}` : ''}`);
      }
      out.push(`  plan: ${jobs.length} target(s)`);
      return out;
    },
    sections: (_run, jobs) => [{ jobs }],
    verdict: () => ['    (a run passes only if every target that ran passed and one ran; a failure fails it; infra or timeout left after retries is an error, not the update\'s fault; all targets disabled holds it)'],
    reported,
    outcomeLines: () => [],
    outcomeItems: () => [],
    cellLabel: (run) => cellLabel(run),
    failureHint: 'failed: each target, each attempt',
  };
}
