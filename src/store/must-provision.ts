import { write, type StoreContext } from './context.js';
import { insertEvent } from './events.js';
import { refused, type Outcome } from './results.js';

export interface MustProvisionEntry {
  readonly package: string;
  readonly addedBy: string;
  readonly addedAt: number;
  readonly reason: string;
}

export interface MustProvisionChange {
  package: string;
  by: string;
  reason: string;
  now: number;
}

/** `already`: the package is on the list (its entry is returned unchanged). */
export type AddMustProvisionResult = { readonly ok: true; readonly entry: MustProvisionEntry } | { readonly ok: false; readonly code: 'already'; readonly entry: MustProvisionEntry };
/** `not_listed`: the package is not on the store's list. */
export type RemoveMustProvisionResult = Outcome<'not_listed', { previous: MustProvisionEntry }>;

export async function listMustProvision(ctx: StoreContext): Promise<MustProvisionEntry[]> {
  const rows = await ctx.db.selectFrom('must_provision').selectAll().orderBy('package').execute();
  return rows.map((r) => ({ package: r.package, addedBy: r.added_by, addedAt: Number(r.added_at), reason: r.reason }));
}

export async function addMustProvision(ctx: StoreContext, input: MustProvisionChange): Promise<AddMustProvisionResult> {
  return write(ctx, async (trx) => {
    const existing = await trx.selectFrom('must_provision').selectAll().where('package', '=', input.package).executeTakeFirst();
    if (existing) return { ok: false, code: 'already', entry: { package: existing.package, addedBy: existing.added_by, addedAt: Number(existing.added_at), reason: existing.reason } } as const;
    await trx.insertInto('must_provision').values({ package: input.package, added_by: input.by, added_at: input.now, reason: input.reason }).execute();
    await insertEvent(trx, ctx.adapter, { at: input.now, kind: 'must_provision.added', payload: { package: input.package, by: input.by, reason: input.reason } });
    return { ok: true, entry: { package: input.package, addedBy: input.by, addedAt: input.now, reason: input.reason } } as const;
  });
}

export async function removeMustProvision(ctx: StoreContext, input: MustProvisionChange): Promise<RemoveMustProvisionResult> {
  return write(ctx, async (trx) => {
    const existing = await trx.selectFrom('must_provision').selectAll().where('package', '=', input.package).executeTakeFirst();
    if (!existing) return refused('not_listed');
    await trx.deleteFrom('must_provision').where('package', '=', input.package).execute();
    await insertEvent(trx, ctx.adapter, { at: input.now, kind: 'must_provision.removed', payload: { package: input.package, by: input.by, reason: input.reason } });
    return { ok: true, previous: { package: existing.package, addedBy: existing.added_by, addedAt: Number(existing.added_at), reason: existing.reason } } as const;
  });
}
