import { write, type StoreContext } from './context.js';
import { insertEvent } from './events.js';
import { fromJsonText, toJsonText } from './json.js';
import { refused, type Outcome } from './results.js';
import type { RunState } from './run-state.js';

// Approvals of promote runs (`promote.approval: required`, migration 0022) and the waiting
// they end. Which set a run publishes is the promote pipeline's to say; the store keeps who
// approved which set of which run, once, with its event, and the run's reason while it waits.

export interface PromoteApproval {
  readonly runId: string;
  readonly setHash: string;
  readonly updates: readonly { readonly id: string; readonly contentHash: string }[];
  readonly by: string;
  readonly at: number;
  readonly via: 'cli' | 'api' | 'dashboard';
}

export interface RecordApprovalInput {
  readonly approval: PromoteApproval;
}

/**
 * `not_found`: no such run; `finished`: it has its verdict already (which pipeline's runs
 * are approved is the promote pipeline's to check); `already`: this set of this run was approved before (that
 * approval is returned, unchanged).
 */
export type RecordApprovalResult =
  | Outcome<'not_found' | 'finished'>
  | { readonly ok: false; readonly code: 'already'; readonly approval: PromoteApproval };

export async function recordApproval(ctx: StoreContext, input: RecordApprovalInput): Promise<RecordApprovalResult> {
  const a = input.approval;
  return write(ctx, async (trx) => {
    const run = await ctx.adapter.lockRows(trx.selectFrom('runs').select(['state']).where('id', '=', a.runId), 'wait').executeTakeFirst();
    if (!run) return refused('not_found');
    if (run.state === ('finished' satisfies RunState)) return refused('finished');
    const existing = await trx.selectFrom('promote_approvals').selectAll().where('run_id', '=', a.runId).where('set_hash', '=', a.setHash).executeTakeFirst();
    if (existing) return { ok: false, code: 'already', approval: toApproval(existing) } as const;
    await trx.insertInto('promote_approvals').values({
      run_id: a.runId, set_hash: a.setHash, updates: toJsonText(a.updates, `approval of run ${a.runId}`), approved_by: a.by, approved_at: a.at, via: a.via,
    }).execute();
    // The wait is over: the run no longer says it waits (its controller publishes at its next advance).
    await trx.updateTable('runs').set({ reason: null }).where('id', '=', a.runId).where('state', '!=', 'finished' satisfies RunState).execute();
    // Other processes' engines (a `sluice approve` following the run, another serve) look at once.
    await ctx.adapter.wake(trx);
    await insertEvent(trx, ctx.adapter, { at: a.at, kind: 'promote.approved', runId: a.runId, payload: { setHash: a.setHash, updates: [...a.updates], by: a.by, via: a.via } });
    return { ok: true } as const;
  });
}

/** A run's approvals, oldest first. */
export async function listApprovals(ctx: StoreContext, runId: string): Promise<PromoteApproval[]> {
  const rows = await ctx.db.selectFrom('promote_approvals').selectAll().where('run_id', '=', runId).orderBy('approved_at').execute();
  return rows.map(toApproval);
}

function toApproval(r: { run_id: string; set_hash: string; updates: string; approved_by: string; approved_at: number | string; via: string }): PromoteApproval {
  const updates = fromJsonText(r.updates);
  return {
    runId: r.run_id, setHash: r.set_hash, by: r.approved_by, at: Number(r.approved_at),
    via: r.via === 'api' || r.via === 'dashboard' ? r.via : 'cli',
    updates: Array.isArray(updates) ? updates.filter((u): u is { id: string; contentHash: string } => typeof u?.id === 'string' && typeof u?.contentHash === 'string') : [],
  };
}

/**
 * A controlled run waits for something outside it (its controller said so): `why` becomes
 * its reason, shown by status, explain and the dashboard until it goes on, and the advance
 * lease this worker holds is let go. An event marks each new reason, not each sweep's look.
 */
export async function parkControlledRun(ctx: StoreContext, input: { runId: string; worker: string; why: string; now: number }): Promise<void> {
  await write(ctx, async (trx) => {
    const run = await trx.selectFrom('runs').select(['reason']).where('id', '=', input.runId).where('state', '!=', 'finished' satisfies RunState).executeTakeFirst();
    if (!run) return;
    await trx.updateTable('runs').set({ reason: input.why, report_locked_by: null, report_locked_until: null })
      .where('id', '=', input.runId).where('state', '!=', 'finished' satisfies RunState).where('report_locked_by', '=', input.worker).execute();
    if (run.reason !== input.why) await insertEvent(trx, ctx.adapter, { at: input.now, kind: 'run.waiting', runId: input.runId, payload: { why: input.why } });
  });
}
