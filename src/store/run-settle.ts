import type { Collation } from '../core/verdicts.js';
import type { DialectAdapter } from './adapter.js';
import type { StoreContext } from './context.js';
import type { JobState } from './job-state.js';
import { refused, type Outcome } from './results.js';
import { UNFINISHED_RUN_STATES, type RunState } from './run-state.js';
import { transition, type Emit, type TransitionTrx } from './transition.js';
import { toRun, type Run } from './runs.js';
import { collateWithWaivers } from './waivers.js';

export interface SettleRunInput {
  runId: string;
  now: number;
}

/**
 * `not_found`: no such run; `finished`: it has its verdict already; `unfinished`: a
 * job of the run has not finished, and its completion will collate the run;
 * `controlled`: its controller gives the verdict (phase2, promote), not collation.
 */
/** `run`: the run as finished, when this transaction took its report (ReportClaim). */
export type SettleRunResult = Outcome<'not_found' | 'finished' | 'unfinished' | 'controlled', Collation & { run?: Run }>;

/**
 * The report of a run this transaction finishes, taken at once by the worker that finishes
 * it (as claimRunReport would take it): that worker reports the run without looking for it
 * in the outbox or claiming it in a transaction of its own.
 */
export interface ReportClaim {
  readonly worker: string;
  readonly leaseMs: number;
}

/**
 * Inside a transition: if every job of the run has finished, collates them with
 * core's `collate`, finishes the run with the verdict and its reason and emits
 * `run.finished`; otherwise says why the run stays as it is.
 */
export async function settleInside(
  trx: TransitionTrx,
  adapter: DialectAdapter,
  emit: Emit,
  runId: string,
  now: number,
  reportClaim?: ReportClaim,
): Promise<SettleRunResult> {
  // The run row is locked before its jobs are read: on PostgreSQL two workers
  // finishing a run's last two jobs would otherwise each see the other's job still
  // running and neither would collate. Queued on the row, the second one's next
  // statement sees the first one's commit (read committed snapshots per statement).
  const run = await adapter
    .lockRows(trx.selectFrom('runs').select(['id', 'state', 'controller', 'pipeline', 'update_id', 'inputs']).where('id', '=', runId), 'wait')
    .executeTakeFirst();
  if (!run) return refused('not_found');
  if (run.state === ('finished' satisfies RunState)) return refused('finished');
  if (run.controller !== null) return refused('controlled');
  const jobs = await trx
    .selectFrom('jobs')
    .select(['id', 'target', 'state', 'result', 'waiver'])
    .where('run_id', '=', runId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  if (jobs.some((job) => job.state !== ('finished' satisfies JobState))) return refused('unfinished');
  const finished = await finishRun(trx, emit, run, jobs, now, reportClaim);
  // The reporter gets the run as written, not by reading it again.
  return { ok: true, ...finished.collation, ...(reportClaim && finished.run ? { run: finished.run } : {}) };
}

type CollatedJob = { id: string; target: string; result: string | null; waiver?: string | null };

/**
 * Collates the jobs and writes the verdict, if the run is still unfinished and has no
 * controller when the update reaches its row: `run` is undefined when another
 * transaction finished it first (on PostgreSQL the update waits for that one's commit
 * and then finds the row finished), and nothing is emitted then.
 */
async function finishRun(
  trx: TransitionTrx,
  emit: Emit,
  run: { id: string; pipeline: string; update_id: string | null; inputs: string },
  jobs: readonly CollatedJob[],
  now: number,
  reportClaim: ReportClaim | undefined,
): Promise<{ collation: Collation; run?: Run }> {
  // A failure covered by a waiver of the update's content counts as passed (store/waivers.ts).
  const collation = await collateWithWaivers(trx, run, jobs, now);
  const finished = await trx
    .updateTable('runs')
    .set({
      state: 'finished' satisfies RunState, verdict: collation.verdict, reason: collation.because, finished_at: now,
      ...(reportClaim ? { report_locked_by: reportClaim.worker, report_locked_until: now + reportClaim.leaseMs } : {}),
    })
    .where('id', '=', run.id)
    .where('state', 'in', UNFINISHED_RUN_STATES)
    .where('controller', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!finished) return { collation };
  emit({ at: now, kind: 'run.finished', runId: run.id, payload: { verdict: collation.verdict, because: collation.because } });
  return { collation, run: toRun(finished) };
}

/**
 * Inside a transition: collates a run whose every job the caller saw finished and
 * committed (the jobs given, in creation order), without taking the run row's lock
 * first; undefined when the run was finished by another transaction meanwhile.
 */
export async function settleFinalJobs(
  trx: TransitionTrx,
  emit: Emit,
  runId: string,
  jobs: readonly CollatedJob[],
  now: number,
  reportClaim?: ReportClaim,
): Promise<{ collation: Collation; run: Run } | undefined> {
  // What waivers need of the run (its update and content) is read only for a failure.
  const run = jobs.some((j) => j.result === 'failure')
    ? await trx.selectFrom('runs').select(['id', 'pipeline', 'update_id', 'inputs']).where('id', '=', runId).executeTakeFirst()
    : { id: runId, pipeline: '', update_id: null, inputs: 'null' };
  if (!run) return undefined;
  const finished = await finishRun(trx, emit, run, jobs, now, reportClaim);
  return finished.run ? { collation: finished.collation, run: finished.run } : undefined;
}

/**
 * Collates a run none of whose jobs will ever finish again: one whose jobs were all
 * written finished (every target disabled: held) or that has no jobs.
 */
export function settleRun(ctx: StoreContext, input: SettleRunInput): Promise<SettleRunResult> {
  return transition(ctx, (trx, emit) => settleInside(trx, ctx.adapter, emit, input.runId, input.now));
}
