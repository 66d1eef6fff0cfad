import type { TestOutcome } from '../store/index.js';
import type { JobSpec } from './job-spec.js';
import type { ExecutionOutcome } from './node-provider.js';

/** What the analysis made of an attempt: its outcome (an infra failure recognised in the log is `infra`), and its per-test results. */
export interface Analysis {
  readonly outcome: ExecutionOutcome;
  readonly tests: readonly TestOutcome[];
}

/**
 * Reads what an attempt left behind (its log, the test results it wrote) before the
 * result is recorded: a failure whose log shows a dead node or a mirror's 503 is infra,
 * retried and never blamed on the update; JUnit or subunit files give per-test results
 * and the reason names the failed tests. Implemented by src/analysis, wired by the CLI.
 */
export interface OutcomeAnalyzer {
  analyze(attempt: { readonly jobId: string; readonly runId: string; readonly attempt: number; readonly spec: JobSpec }, outcome: ExecutionOutcome): Promise<Analysis>;
}
