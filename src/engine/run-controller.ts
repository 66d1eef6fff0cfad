import type { RunOutcome } from '../core/records/run-record.js';
import type { RunVerdict } from '../core/verdicts.js';
import type { Job, NewJob, Run } from '../store/index.js';

/** What a controller decides when none of its run's jobs is open. */
export type AdvanceStep =
  | { readonly kind: 'jobs'; readonly jobs: readonly NewJob[] }
  | { readonly kind: 'finish'; readonly verdict: RunVerdict; readonly reason: string; readonly outcome: RunOutcome }
  /**
   * Nothing to do until something outside the run happens (a promote's approval): the run
   * stays unfinished, holding no node, with `why` as its reason; the advance lease is let go
   * so any process may advance it as soon as that happens (each sweep asks again).
   */
  | { readonly kind: 'wait'; readonly why: string };

/**
 * Drives a run whose jobs are not known up front (phase2's bisection rounds, promote's
 * stage tests after composing stage). The engine calls `advance` when the run has no open
 * job, holding the run's advance lease, and applies the step it returns. After a crash the
 * same call is made again with the same finished jobs, so `advance` must decide the same
 * and make any side effect (composing stage, publishing) idempotent.
 */
export interface RunController {
  /** The `runs.controller` value it drives. */
  readonly name: string;
  advance(run: Run, jobs: readonly Job[], signal: AbortSignal): Promise<AdvanceStep>;
}
