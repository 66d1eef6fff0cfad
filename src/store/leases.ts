import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { DialectAdapter } from './adapter.js';
import { write, type StoreContext } from './context.js';
import { insertEvent } from './events.js';
import { refused, type Outcome } from './results.js';
import type { Database, LeasesTable } from './schema.js';

// A resource of capacity N (a provider's nodes, an address pool, a semaphore) has
// slots 0..N-1, one row each. A slot is free when its holder is null or its lease
// has expired (expires_at <= now): an expired lease is lost to its holder even
// before a sweep clears it, so it can be neither renewed nor counted. Holders keep
// a lease by renewing it well inside the ttl (a heartbeat).

export interface Lease {
  resource: string;
  slot: number;
  holder: string;
  jobId: string | null;
  acquiredAt: number;
  expiresAt: number;
}

export interface RenewLeaseInput {
  resource: string;
  slot: number;
  holder: string;
  now: number;
  ttlMs: number;
}

export interface ReleaseLeaseInput {
  resource: string;
  slot: number;
  holder: string;
}

/** `lost`: the slot expired, was reclaimed, or is held by someone else. */
export type RenewLeaseResult = Outcome<'lost', { expiresAt: number }>;
/** `lost`: the slot was reclaimed or is held by someone else; the caller holds nothing. */
export type ReleaseLeaseResult = Outcome<'lost'>;

const FREE = { holder: null, job_id: null, acquired_at: null, expires_at: null } as const;

/**
 * A lease that has expired is free only once its job no longer runs: the job of a worker
 * that stalled (SIGSTOP, a starved box) may still have its commands running on the node,
 * so the slot is freed by the sweep that reclaims the job, after its processes were
 * reaped, never by the clock alone (docs/engine.md, "A hard cap").
 */
export function heldAt(now: number) {
  return (eb: ExpressionBuilder<Database, 'leases'>) => eb.and([
    eb('leases.holder', 'is not', null),
    eb.or([
      eb('leases.expires_at', '>', now),
      eb.exists(eb.selectFrom('jobs').select('jobs.id').whereRef('jobs.id', '=', 'leases.job_id').where('jobs.state', '=', 'running')),
    ]),
  ]);
}

function positiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/** Who takes one slot: a claim's holder and its job. */
export interface SlotTaker {
  readonly holder: string;
  readonly jobId: string | null;
}

/**
 * Inside the caller's write transaction (the worker's claim): gives each taker, in order,
 * one of the lowest free or expired slots of the resource below `capacity`, in one
 * statement; undefined when there are not that many free. If capacity shrinks, slots
 * above it are no longer handed out, and their holders keep them until they release or expire.
 */
export async function takeSlots(
  trx: Kysely<Database>,
  adapter: DialectAdapter,
  input: { resource: string; capacity: number; takers: readonly SlotTaker[]; now: number; expiresAt: number },
): Promise<number[] | undefined> {
  // On PostgreSQL the inner select locks the slot rows and skips rows other acquirers
  // hold, so racing acquirers take different slots rather than queueing; on SQLite the
  // write transaction already runs alone.
  const take = async (takers: readonly SlotTaker[]): Promise<number[]> => {
    const free = adapter.lockRows(
      trx
        .selectFrom('leases')
        .select('slot')
        .where('resource', '=', input.resource)
        .where('slot', '<', input.capacity)
        .where((eb) => eb.not(heldAt(input.now)(eb)))
        .orderBy('slot')
        .limit(takers.length),
      'skip',
    );
    const [only] = takers;
    if (takers.length === 1 && only) {
      // One taker (a worker whose one node just freed): the lowest free slot, without the numbering.
      const taken = await trx.updateTable('leases')
        .set({ holder: only.holder, job_id: only.jobId, acquired_at: input.now, expires_at: input.expiresAt })
        .where('resource', '=', input.resource)
        .where('slot', '=', free)
        .returning('slot')
        .execute();
      return taken.map((r) => r.slot);
    }
    const numbered = trx.selectFrom(free.as('free')).select(['free.slot', sql<number>`row_number() over (order by ${sql.ref('free.slot')})`.as('n')]);
    // The n-th lowest free slot goes to the n-th taker.
    const byPlace = <T>(pick: (t: SlotTaker) => T) => sql<T>`case ${sql.ref('numbered.n')} ${sql.join(takers.map((t, i) => sql`when ${sql.lit(i + 1)} then ${pick(t)}`), sql` `)} end`;
    const rows = await trx
      .updateTable('leases')
      .from(numbered.as('numbered'))
      .set({ holder: byPlace((t) => t.holder), job_id: byPlace((t) => t.jobId), acquired_at: input.now, expires_at: input.expiresAt })
      .where('leases.resource', '=', input.resource)
      .whereRef('leases.slot', '=', 'numbered.slot')
      .returning('leases.slot')
      .execute();
    // SQLite's RETURNING cannot name the numbering: the slots in order are the places.
    return rows.map((r) => r.slot).sort((a, b) => a - b);
  };
  const taken = await take(input.takers);
  if (taken.length === input.takers.length) return taken;
  // The slot rows are made on first need (or when capacity grew), not on every acquire.
  const slots = Array.from({ length: input.capacity }, (_, slot) => ({ resource: input.resource, slot }));
  // Even when this inserted none: on PostgreSQL a racing acquirer's insert may just have
  // committed the rows, and this one waited for it on the conflict.
  await trx.insertInto('leases').values(slots).onConflict((oc) => oc.columns(['resource', 'slot']).doNothing()).execute();
  const rest = await take(input.takers.slice(taken.length));
  return taken.length + rest.length === input.takers.length ? [...taken, ...rest] : undefined;
}

export async function renewLease(ctx: StoreContext, input: RenewLeaseInput): Promise<RenewLeaseResult> {
  positiveInteger(input.ttlMs, 'ttlMs');
  const expiresAt = input.now + input.ttlMs;
  return write(ctx, async (trx) => {
    const renewed = await trx
      .updateTable('leases')
      .set({ expires_at: expiresAt })
      .where('resource', '=', input.resource)
      .where('slot', '=', input.slot)
      .where('holder', '=', input.holder)
      .where('expires_at', '>', input.now)
      .executeTakeFirst();
    return renewed.numUpdatedRows > 0n ? ({ ok: true, expiresAt } as const) : refused('lost');
  });
}

/** Frees the slot if `holder` still has it, even past its expiry (nobody took it). */
export async function releaseLease(ctx: StoreContext, input: ReleaseLeaseInput): Promise<ReleaseLeaseResult> {
  return write(ctx, async (trx) => {
    if (!(await freeSlot(trx, input))) return refused('lost');
    // A freed node is work for a waiting worker.
    await ctx.adapter.wake(trx);
    return { ok: true } as const;
  });
}

/** Inside the caller's transaction: frees the slot if `holder` still has it; false if not. */
export async function freeSlot(trx: Kysely<Database>, input: ReleaseLeaseInput): Promise<boolean> {
  const released = await trx
    .updateTable('leases')
    .set(FREE)
    .where('resource', '=', input.resource)
    .where('slot', '=', input.slot)
    .where('holder', '=', input.holder)
    .executeTakeFirst();
  return released.numUpdatedRows > 0n;
}

/**
 * Inside the caller's transaction: frees each slot its holder still has, in one statement
 * however many; returns the slots freed.
 */
export async function freeSlots(trx: Kysely<Database>, leases: readonly ReleaseLeaseInput[]): Promise<ReleaseLeaseInput[]> {
  if (leases.length === 0) return [];
  const freed = await trx
    .updateTable('leases')
    .set(FREE)
    .where((eb) => eb.or(leases.map((l) => eb.and([eb('resource', '=', l.resource), eb('slot', '=', l.slot), eb('holder', '=', l.holder)]))))
    .returning(['resource', 'slot'])
    .execute();
  return leases.filter((l) => freed.some((f) => f.resource === l.resource && f.slot === l.slot));
}

/**
 * The crash-recovery sweep: frees every expired lease and records a
 * `lease.reclaimed` event for each, so an operator sees whose lease lapsed.
 */
export async function reclaimExpiredLeases(ctx: StoreContext, now: number): Promise<Lease[]> {
  return write(ctx, async (trx) => {
    const rows = await ctx.adapter
      .lockRows(
        trx
          .selectFrom('leases')
          .selectAll()
          .where('holder', 'is not', null)
          .where('expires_at', '<=', now)
          .where((eb) => eb.not(heldAt(now)(eb)))
          .orderBy('resource')
          .orderBy('slot'),
        'skip',
      )
      .execute();
    const reclaimed = rows.map(toLease);
    for (const lease of reclaimed) {
      await trx
        .updateTable('leases')
        .set(FREE)
        .where('resource', '=', lease.resource)
        .where('slot', '=', lease.slot)
        .execute();
    }
    for (const lease of reclaimed) {
      await insertEvent(trx, ctx.adapter, { at: now, kind: 'lease.reclaimed', jobId: lease.jobId, payload: lease });
    }
    return reclaimed;
  });
}

/** Inside the sweep's transaction: frees the leases a reclaimed job held, each with a `lease.reclaimed` event. */
export async function reclaimLeasesOfJob(trx: Kysely<Database>, adapter: DialectAdapter, jobId: string, now: number): Promise<void> {
  const rows = await trx.selectFrom('leases').selectAll().where('job_id', '=', jobId).where('holder', 'is not', null).orderBy('resource').orderBy('slot').execute();
  for (const lease of rows.map(toLease)) {
    await trx.updateTable('leases').set(FREE).where('resource', '=', lease.resource).where('slot', '=', lease.slot).execute();
    await insertEvent(trx, adapter, { at: now, kind: 'lease.reclaimed', jobId: lease.jobId, payload: lease });
  }
}

/** Leases with a holder, expired or not, by resource then slot. */
export async function listLeases(ctx: StoreContext, resource?: string): Promise<Lease[]> {
  let select = ctx.db.selectFrom('leases').selectAll().where('holder', 'is not', null);
  if (resource !== undefined) select = select.where('resource', '=', resource);
  const rows = await select.orderBy('resource').orderBy('slot').execute();
  return rows.map(toLease);
}

function toLease(row: Selectable<LeasesTable>): Lease {
  if (row.holder === null || row.acquired_at === null || row.expires_at === null) {
    throw new TypeError(`lease ${row.resource}#${row.slot} is held but incomplete`);
  }
  return {
    resource: row.resource,
    slot: row.slot,
    holder: row.holder,
    jobId: row.job_id,
    acquiredAt: row.acquired_at,
    expiresAt: row.expires_at,
  };
}
