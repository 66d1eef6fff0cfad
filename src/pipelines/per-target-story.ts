import type { Job, Run } from '../store/index.js';
import type { RunStory } from './run-story.js';

/** How a pipeline of one job per target tells its run: what it says of its inputs, its report, its cell. */
export interface PerTargetWords {
  /** The lines under the run's first line: its inputs and configuration (none for an unreadable run). */
  readonly inputs: (run: Run) => string[];
  /** After "reported": what the report changed. */
  readonly reported: (run: Run) => string;
  readonly cellLabel: (run: Run) => string;
  /** What the run tested besides its update (phase1: the updates it needs), under its inputs and as its outcome. */
  readonly alongside?: (run: Run, jobs: readonly Job[]) => string[];
}

/**
 * The story of a run with one job per target and no rounds (phase1 of one update, an
 * images run): its inputs, each target's job, the collation rule.
 */
export function perTargetStory(words: PerTargetWords): RunStory {
  return {
    head(run: Run, jobs: readonly Job[], created: string): string[] {
      return [`run ${run.id}: ${run.pipeline} of update ${run.updateId ?? '-'}, created ${created}`, ...words.inputs(run), ...(words.alongside?.(run, jobs) ?? []).map((l) => `  ${l}`), `  plan: ${jobs.length} target(s)`];
    },
    sections: (_run, jobs) => [{ jobs }],
    verdict: () => ['    (a run passes only if every target that ran passed and one ran; a failure fails it; infra or timeout left after retries is an error, not the update\'s fault; all targets disabled holds it)'],
    reported: words.reported,
    outcomeLines: (run, jobs) => (words.alongside?.(run, jobs) ?? []).map((l) => `  ${l}`),
    outcomeItems: (run, jobs) => (jobs && words.alongside ? words.alongside(run, jobs).map((l) => ({ parts: [l] })) : []),
    cellLabel: (run) => words.cellLabel(run),
    failureHint: 'failed: each target, each attempt',
  };
}
