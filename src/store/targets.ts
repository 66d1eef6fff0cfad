import type { Selectable } from 'kysely';
import { write, type StoreContext } from './context.js';
import { insertEvent } from './events.js';
import { refused, type Outcome } from './results.js';
import type { TargetStatesTable } from './schema.js';

export interface EnabledTargetState {
  target: string;
  disabled: false;
}

export interface DisabledTargetState {
  target: string;
  disabled: true;
  reason: string;
  disabledBy: string;
  /** When it was disabled (ms). */
  disabledAt: number;
  /** When the disable lapses (ms), or null for until enabled by hand. */
  until: number | null;
}

/** A target with no row, or whose disable has lapsed, is enabled. */
export type TargetState = EnabledTargetState | DisabledTargetState;

export interface DisableTargetInput {
  target: string;
  reason: string;
  by: string;
  now: number;
  until?: number | null;
}

export type DisableTargetResult = Outcome<'until_not_after_now', { state: DisabledTargetState }>;

export interface EnableTargetInput {
  target: string;
  by: string;
  now: number;
}

export type EnableTargetResult = Outcome<'not_disabled', { previous: DisabledTargetState }>;

type Row = Selectable<TargetStatesTable>;

// A disable with an expiry lapses on its own at `until`: no sweep rewrites the row,
// every read compares with the caller's clock.
function toState(row: Row, now: number): TargetState {
  const lapsed = row.until !== null && now >= row.until;
  if (row.disabled !== 1 || lapsed) return { target: row.target, disabled: false };
  return {
    target: row.target,
    disabled: true,
    reason: row.reason ?? '',
    disabledBy: row.disabled_by ?? '',
    disabledAt: row.disabled_at ?? 0,
    until: row.until,
  };
}

export async function listTargetStates(ctx: StoreContext, now: number): Promise<TargetState[]> {
  const rows = await ctx.db.selectFrom('target_states').selectAll().orderBy('target').execute();
  return rows.map((row) => toState(row, now));
}

export async function getTargetState(ctx: StoreContext, target: string, now: number): Promise<TargetState> {
  const row = await ctx.db.selectFrom('target_states').selectAll().where('target', '=', target).executeTakeFirst();
  return row ? toState(row, now) : { target, disabled: false };
}

/** Disables a target, or replaces the reason, author and expiry of a disable in force. */
export async function disableTarget(ctx: StoreContext, input: DisableTargetInput): Promise<DisableTargetResult> {
  const until = input.until ?? null;
  if (until !== null && until <= input.now) return refused('until_not_after_now');
  const state: DisabledTargetState = {
    target: input.target,
    disabled: true,
    reason: input.reason,
    disabledBy: input.by,
    disabledAt: input.now,
    until,
  };
  return write(ctx, async (trx) => {
    const values = { disabled: 1, reason: input.reason, disabled_by: input.by, disabled_at: input.now, until };
    await trx
      .insertInto('target_states')
      .values({ target: input.target, ...values })
      .onConflict((oc) => oc.column('target').doUpdateSet(values))
      .execute();
    await insertEvent(trx, ctx.adapter, {
      at: input.now,
      kind: 'target.disabled',
      payload: { target: input.target, reason: input.reason, by: input.by, until },
    });
    return { ok: true, state } as const;
  });
}

export async function enableTarget(ctx: StoreContext, input: EnableTargetInput): Promise<EnableTargetResult> {
  return write(ctx, async (trx) => {
    const row = await ctx.adapter
      .lockRows(trx.selectFrom('target_states').selectAll().where('target', '=', input.target), 'wait')
      .executeTakeFirst();
    const previous = row ? toState(row, input.now) : undefined;
    if (!previous?.disabled) return refused('not_disabled');
    await trx
      .updateTable('target_states')
      .set({ disabled: 0, reason: null, disabled_by: null, disabled_at: null, until: null })
      .where('target', '=', input.target)
      .execute();
    await insertEvent(trx, ctx.adapter, {
      at: input.now,
      kind: 'target.enabled',
      payload: { target: input.target, by: input.by, was: { reason: previous.reason, by: previous.disabledBy, since: previous.disabledAt } },
    });
    return { ok: true, previous } as const;
  });
}
