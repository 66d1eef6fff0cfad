import { EVENT_PAYLOADS } from '../core/records/events.js';
import { write, type StoreContext } from './context.js';
import { insertEvent } from './events.js';
import { fromJsonText } from './json.js';

export interface ImageRecord {
  readonly name: string;
  readonly target: string;
  readonly provider: string;
  /** The provider's handle: a local archive path, a cloud image id. */
  readonly location: string;
  /** What the production repository held when it was built (e.g. its repomd.xml's SHA-256); null when unknown. */
  readonly productionKey: string | null;
  readonly runId: string;
  readonly jobId: string;
  readonly createdAt: number;
  readonly prunedAt: number | null;
}

type NewImage = Omit<ImageRecord, 'prunedAt'>;

/** Records a known-good image; recording the same name again changes nothing (a repeated report). */
export async function recordImage(ctx: StoreContext, image: NewImage): Promise<{ recorded: boolean }> {
  return write(ctx, async (trx) => {
    const row = await trx.insertInto('images').values({
      name: image.name, target: image.target, provider: image.provider, location: image.location, production_key: image.productionKey,
      run_id: image.runId, job_id: image.jobId, created_at: image.createdAt,
    }).onConflict((oc) => oc.column('name').doNothing()).returning('name').executeTakeFirst();
    if (row) await insertEvent(trx, ctx.adapter, { at: image.createdAt, kind: 'image.recorded', runId: image.runId, jobId: image.jobId, payload: { name: image.name, target: image.target, productionKey: image.productionKey } });
    return { recorded: row !== undefined };
  });
}

/** Images, newest first; only those not pruned unless asked. */
export async function listImages(ctx: StoreContext, query: { target?: string; includePruned?: boolean } = {}): Promise<ImageRecord[]> {
  let q = ctx.db.selectFrom('images').selectAll();
  if (query.target !== undefined) q = q.where('target', '=', query.target);
  if (!query.includePruned) q = q.where('pruned_at', 'is', null);
  const rows = await q.orderBy('created_at', 'desc').orderBy('name', 'desc').execute();
  return rows.map((r) => ({
    name: r.name, target: r.target, provider: r.provider, location: r.location, productionKey: r.production_key,
    runId: r.run_id, jobId: r.job_id, createdAt: Number(r.created_at), prunedAt: r.pruned_at === null ? null : Number(r.pruned_at),
  }));
}

/** Marks images pruned (their provider removed them). */
export async function markImagesPruned(ctx: StoreContext, input: { names: readonly string[]; now: number }): Promise<void> {
  if (input.names.length === 0) return;
  await write(ctx, async (trx) => {
    await trx.updateTable('images').set({ pruned_at: input.now }).where('name', 'in', [...input.names]).where('pruned_at', 'is', null).execute();
    await insertEvent(trx, ctx.adapter, { at: input.now, kind: 'image.pruned', payload: { names: input.names } });
  });
}

/**
 * Every image location of `provider` the store knows or may still learn: those recorded
 * (pruned ones too: their deletion is the pruner's), and those a job announced
 * (`image.snapshot`) in a run whose report, which records them, is still owed. What a
 * provider's orphan sweep must never delete. The announcements are read before the
 * records: a run is marked reported only after its images are recorded, so one that
 * changes between the two reads is caught by the second.
 */
const ANNOUNCED_WHERE = EVENT_PAYLOADS['image.snapshot'].pick({ provider: true, location: true });

export async function listKnownImageLocations(ctx: StoreContext, provider: string): Promise<string[]> {
  const announced = await ctx.db.selectFrom('events').select('events.payload')
    .where('events.kind', '=', 'image.snapshot')
    .where('events.run_id', 'in', ctx.db.selectFrom('runs').select('runs.id').where('runs.reported_at', 'is', null))
    .execute();
  const known = new Set<string>();
  for (const row of announced) {
    // Only the two fields that say where the image is: an announcement otherwise unreadable
    // still keeps its image from the sweep.
    const where = ANNOUNCED_WHERE.safeParse(fromJsonText(row.payload));
    if (where.success && where.data.provider === provider) known.add(where.data.location);
  }
  const recorded = await ctx.db.selectFrom('images').select('location').where('provider', '=', provider).execute();
  for (const row of recorded) known.add(row.location);
  return [...known].sort();
}
