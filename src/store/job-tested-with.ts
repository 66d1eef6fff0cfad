import { write, type StoreContext } from './context.js';
import { fromJsonText, toJsonText } from './json.js';

export interface AddJobTestedWithInput {
  jobId: string;
  /** Entries of the spec's `testedWith` (docs/lifecycle.md): those already there by id are kept. */
  testedWith: readonly { readonly id: string }[];
}

/**
 * A phase1 job found, from its RPMs, other updates it must be tested with: its spec gets
 * them, so the story tells them, a retry installs them at once and a rerun (which copies
 * specs) reproduces them. Nothing else of the spec changes.
 */
export async function addJobTestedWith(ctx: StoreContext, input: AddJobTestedWithInput): Promise<void> {
  if (input.testedWith.length === 0) return;
  await write(ctx, async (trx) => {
    const row = await ctx.adapter.lockRows(trx.selectFrom('jobs').select('spec').where('id', '=', input.jobId), 'wait').executeTakeFirst();
    if (!row) return;
    const spec = fromJsonText(row.spec) as Record<string, unknown> | null;
    if (spec === null || typeof spec !== 'object') return;
    const had = Array.isArray(spec.testedWith) ? (spec.testedWith as { id: string }[]) : [];
    const added = input.testedWith.filter((t) => !had.some((h) => h.id === t.id));
    if (added.length === 0) return;
    await trx.updateTable('jobs').set({ spec: toJsonText({ ...spec, testedWith: [...had, ...added] }, `spec of job ${input.jobId}`) }).where('id', '=', input.jobId).execute();
  });
}
