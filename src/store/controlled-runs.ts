import { checkRunOutcome, isPipeline, type RunOutcome } from '../core/records/run-record.js';
import type { RunVerdict } from '../core/verdicts.js';
import { write, type StoreContext } from './context.js';
import type { JobState } from './job-state.js';
import { toJsonText } from './json.js';
import { refused, type Outcome } from './results.js';
import type { RunState } from './run-state.js';
import { UNFINISHED_RUN_STATES } from './run-state.js';
import { insertJobRows, toRun, type NewJob, type Run } from './runs.js';
import { transition } from './transition.js';

// A controlled run (phase2, promote) has no fixed set of jobs: when none of its jobs is
// open, its controller looks at what finished and either adds the next round or gives
// the run its verdict. The store keeps the controller honest: one advancer at a time (a
// lease on the run row, like a report), jobs added only to a run that is still going, a
// verdict only once no job is open.

export interface AddJobsInput {
  runId: string;
  jobs: readonly NewJob[];
  now: number;
}
/**
 * `not_found`, `finished`; `cancelled`: a cancel was requested, nothing more may start;
 * `duplicate_id`: one of the jobs exists (another advancer added this round already).
 */
export type AddJobsResult = Outcome<'not_found' | 'finished' | 'cancelled' | 'duplicate_id'>;

export interface FinishControlledRunInput {
  runId: string;
  now: number;
  verdict: RunVerdict;
  reason: string;
  /** What the controller decided, by its pipeline's outcome schema (checked before it is written). */
  outcome: RunOutcome;
}
/** `unfinished`: a job of the run is still open; its end comes first. */
export type FinishControlledRunResult = Outcome<'not_found' | 'finished' | 'unfinished'>;

/** Unfinished controlled runs none of whose jobs is open: each waits for its controller. */
export async function listIdleControlledRuns(ctx: StoreContext): Promise<Run[]> {
  const rows = await ctx.db.selectFrom('runs').selectAll()
    .where('state', 'in', UNFINISHED_RUN_STATES).where('controller', 'is not', null)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('jobs').select('jobs.id').whereRef('jobs.run_id', '=', 'runs.id').where('jobs.state', '!=', 'finished' satisfies JobState))))
    .orderBy('created_at').execute();
  return rows.map(toRun);
}

/**
 * The right to advance an unfinished controlled run for `leaseMs` (renewable by the same
 * worker): composing stage or publishing can take minutes, and two advancers would
 * race on the repository and production.
 */
export async function claimRunAdvance(ctx: StoreContext, input: { runId: string; worker: string; now: number; leaseMs: number }): Promise<boolean> {
  return write(ctx, async (trx) => {
    const done = await trx.updateTable('runs')
      .set({ report_locked_by: input.worker, report_locked_until: input.now + input.leaseMs })
      .where('id', '=', input.runId).where('state', 'in', UNFINISHED_RUN_STATES).where('controller', 'is not', null)
      .where((eb) => eb.or([eb('report_locked_until', 'is', null), eb('report_locked_until', '<', input.now), eb('report_locked_by', '=', input.worker)]))
      .executeTakeFirst();
    return Number(done.numUpdatedRows) === 1;
  });
}

/** Adds a round of jobs to a controlled run that is still going; all or none. */
export async function addJobs(ctx: StoreContext, input: AddJobsInput): Promise<AddJobsResult> {
  try {
    return await transition(ctx, async (trx, emit) => {
      const run = await ctx.adapter.lockRows(trx.selectFrom('runs').select(['state', 'cancel_requested_at']).where('id', '=', input.runId), 'wait').executeTakeFirst();
      if (!run) return refused('not_found');
      if (run.state === ('finished' satisfies RunState)) return refused('finished');
      if (run.cancel_requested_at !== null) return refused('cancelled');
      await insertJobRows(trx, input.runId, input.jobs, input.now);
      emit({ at: input.now, kind: 'run.jobs_added', runId: input.runId, payload: { jobs: input.jobs.map((j) => j.id) } });
      return { ok: true } as const;
    });
  } catch (error) {
    if (ctx.adapter.constraintViolation(error) === 'unique') return refused('duplicate_id');
    throw error;
  }
}

/** Gives a controlled run its verdict and outcome; only once none of its jobs is open. */
export async function finishControlledRun(ctx: StoreContext, input: FinishControlledRunInput): Promise<FinishControlledRunResult> {
  return transition(ctx, async (trx, emit) => {
    const run = await ctx.adapter.lockRows(trx.selectFrom('runs').select(['state', 'pipeline']).where('id', '=', input.runId), 'wait').executeTakeFirst();
    if (!run) return refused('not_found');
    if (run.state === ('finished' satisfies RunState)) return refused('finished');
    if (isPipeline(run.pipeline)) checkRunOutcome(run.pipeline, input.outcome);
    const open = await trx.selectFrom('jobs').select('id').where('run_id', '=', input.runId).where('state', '!=', 'finished' satisfies JobState).executeTakeFirst();
    if (open) return refused('unfinished');
    await trx.updateTable('runs')
      .set({
        state: 'finished' satisfies RunState, verdict: input.verdict, reason: input.reason, finished_at: input.now,
        outcome: toJsonText(input.outcome, `outcome of run ${input.runId}`),
        // The advance lease ends with the run; the report outbox takes it from here.
        report_locked_by: null, report_locked_until: null,
      })
      .where('id', '=', input.runId).where('state', '=', run.state)
      .execute();
    emit({ at: input.now, kind: 'run.finished', runId: input.runId, payload: { verdict: input.verdict, because: input.reason } });
    return { ok: true } as const;
  });
}

/** Marks a controlled run started (its first round is being prepared, or claimed). */
export async function markRunStarted(ctx: StoreContext, input: { runId: string; now: number }): Promise<void> {
  await write(ctx, (trx) => trx.updateTable('runs').set({ state: 'running' satisfies RunState, started_at: input.now })
    .where('id', '=', input.runId).where('state', '=', 'queued' satisfies RunState).execute());
}
