import type { RunVerdict } from '../core/verdicts.js';
import type { StoreContext } from './context.js';
import type { JobResult, JobState } from './job-state.js';
import { refused, type Outcome } from './results.js';
import { settleInside } from './run-settle.js';
import { transition } from './transition.js';

export interface CancelRunInput {
  runId: string;
  now: number;
  /** Why, as a person would tell it ("superseded by a new patch set"). */
  reason: string;
}

export interface RunCancelled {
  /** Queued jobs, finished as cancelled now. */
  cancelledJobs: string[];
  /** Running jobs whose workers learn of the cancel from their next heartbeat. */
  signalledJobs: string[];
  /** The verdict when no job was running, so the run finished at once. */
  runVerdict: RunVerdict | null;
}

/** `not_found`: no such run; `finished`: it has its verdict already (a repeated cancel). */
export type CancelRunResult = Outcome<'not_found' | 'finished', RunCancelled>;

/**
 * Cancels a run: queued jobs finish as cancelled at once; running jobs get
 * cancel_requested_at, which their worker's heartbeat reports, and their finishJob
 * (or the sweep) collates the run. Cancelling again while jobs still run signals
 * nothing new and succeeds.
 */
export async function cancelRun(ctx: StoreContext, input: CancelRunInput): Promise<CancelRunResult> {
  const { runId, now, reason } = input;
  return transition(ctx, async (trx, emit) => {
    // The run's open job rows first, in id order, then the run (transition.ts).
    const open = await ctx.adapter
      .lockRows(
        trx
          .selectFrom('jobs')
          .select(['id', 'state'])
          .where('run_id', '=', runId)
          .where('state', '!=', 'finished' satisfies JobState)
          .orderBy('id'),
        'wait',
      )
      .execute();
    const run = await trx.selectFrom('runs').select('state').where('id', '=', runId).executeTakeFirst();
    if (!run) return refused('not_found');
    if (run.state === 'finished') return refused('finished');
    // A controlled run may have no job open right now (composing stage): the flag stops its
    // controller from adding more, and it finishes the run as cancelled.
    await trx.updateTable('runs').set({ cancel_requested_at: now }).where('id', '=', runId).where('cancel_requested_at', 'is', null).execute();
    const cancelled = await trx
      .updateTable('jobs')
      .set({ state: 'finished' satisfies JobState, result: 'cancelled' satisfies JobResult, reason, finished_at: now })
      .where('run_id', '=', runId)
      .where('state', '=', 'queued' satisfies JobState)
      .returning('id')
      .execute();
    const signalled = await trx
      .updateTable('jobs')
      .set({ cancel_requested_at: now })
      .where('run_id', '=', runId)
      .where('state', '=', 'running' satisfies JobState)
      .where('cancel_requested_at', 'is', null)
      .returning('id')
      .execute();
    const cancelledJobs = cancelled.map((j) => j.id).sort();
    const signalledJobs = signalled.map((j) => j.id).sort();
    emit({ at: now, kind: 'run.cancel_requested', runId, payload: { reason, cancelledJobs, signalledJobs, open: open.length } });
    for (const jobId of cancelledJobs) {
      emit({ at: now, kind: 'job.finished', runId, jobId, payload: { result: 'cancelled', reason } });
    }
    const settled = await settleInside(trx, ctx.adapter, emit, runId, now);
    return { ok: true, cancelledJobs, signalledJobs, runVerdict: settled.ok ? settled.verdict : null } as const;
  });
}
