import { write, type StoreContext } from './context.js';
import { insertEvent } from './events.js';
import type { DependencyHow } from '../core/update-dependencies.js';

export interface DependencyRecord {
  readonly updateId: string;
  readonly dependsOn: string;
  /** The dependant's content the edge was recorded for. */
  readonly contentHash: string;
  readonly how: DependencyHow;
  readonly why: string;
  readonly recordedAt: number;
}

export interface NeededUpdate {
  readonly id: string;
  readonly why: string;
}

export interface DeclareDependenciesInput {
  updateId: string;
  contentHash: string;
  dependsOn: readonly NeededUpdate[];
  /** Who declared them (a person, `gerrit`, the CLI's user). */
  by: string;
  now: number;
}

export interface InferDependenciesInput {
  updateId: string;
  contentHash: string;
  dependsOn: readonly NeededUpdate[];
  now: number;
}

/**
 * Sets what the update, as of this content, is declared to need: its earlier declared
 * edges are replaced, and every edge recorded for other content is dropped (a rebuilt
 * update proves its needs again). An event records the change when there is one.
 */
export async function declareDependencies(ctx: StoreContext, input: DeclareDependenciesInput): Promise<void> {
  await write(ctx, async (trx) => {
    const before = await trx.selectFrom('update_dependencies').select(['depends_on', 'how', 'content_hash']).where('update_id', '=', input.updateId).execute();
    await trx.deleteFrom('update_dependencies').where('update_id', '=', input.updateId)
      .where((eb) => eb.or([eb('how', '=', 'declared'), eb('content_hash', '<>', input.contentHash)])).execute();
    for (const dep of input.dependsOn) {
      await trx.insertInto('update_dependencies')
        .values({ update_id: input.updateId, depends_on: dep.id, content_hash: input.contentHash, how: 'declared', why: dep.why, recorded_at: input.now })
        .onConflict((oc) => oc.columns(['update_id', 'depends_on']).doUpdateSet({ how: 'declared', why: dep.why, recorded_at: input.now }))
        .execute();
    }
    const had = before.filter((r) => r.how === 'declared' && r.content_hash === input.contentHash).map((r) => r.depends_on).sort();
    const dropped = before.some((r) => r.how === 'declared' && r.content_hash !== input.contentHash);
    const has = input.dependsOn.map((d) => d.id).sort();
    if (dropped || had.join('\0') !== has.join('\0')) {
      await insertEvent(trx, ctx.adapter, { at: input.now, kind: 'update.dependencies', payload: { update: input.updateId, content: input.contentHash, declared: has, by: input.by } });
    }
  });
}

/** Adds edges a job inferred; an edge already declared keeps its declaration. */
export async function inferDependencies(ctx: StoreContext, input: InferDependenciesInput): Promise<void> {
  if (input.dependsOn.length === 0) return;
  await write(ctx, async (trx) => {
    for (const dep of input.dependsOn) {
      await trx.insertInto('update_dependencies')
        .values({ update_id: input.updateId, depends_on: dep.id, content_hash: input.contentHash, how: 'inferred', why: dep.why, recorded_at: input.now })
        .onConflict((oc) => oc.columns(['update_id', 'depends_on']).doUpdateSet({ content_hash: input.contentHash, how: 'inferred', why: dep.why, recorded_at: input.now })
          .where('update_dependencies.how', '=', 'inferred'))
        .execute();
    }
    await insertEvent(trx, ctx.adapter, { at: input.now, kind: 'update.dependencies.inferred', payload: { update: input.updateId, content: input.contentHash, inferred: input.dependsOn.map((d) => d.id) } });
  });
}

/**
 * The edges that bind now: those recorded for the content each dependant has now (the
 * store's updates table). With `updateIds`, only the edges of those dependants.
 */
export async function listDependencies(ctx: StoreContext, updateIds?: readonly string[]): Promise<DependencyRecord[]> {
  if (updateIds !== undefined && updateIds.length === 0) return [];
  let q = ctx.db.selectFrom('update_dependencies as d')
    .innerJoin('updates as u', (j) => j.onRef('u.id', '=', 'd.update_id').onRef('u.content_hash', '=', 'd.content_hash'))
    .select(['d.update_id', 'd.depends_on', 'd.content_hash', 'd.how', 'd.why', 'd.recorded_at']);
  if (updateIds !== undefined) q = q.where('d.update_id', 'in', [...updateIds]);
  const rows = await q.orderBy('d.update_id').orderBy('d.depends_on').execute();
  return rows.map((r) => ({
    updateId: r.update_id, dependsOn: r.depends_on, contentHash: r.content_hash,
    how: r.how === 'inferred' ? 'inferred' : 'declared', why: r.why, recordedAt: Number(r.recorded_at),
  }));
}
