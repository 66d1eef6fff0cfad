import { sql, type Selectable } from 'kysely';
import type { JobState } from './job-state.js';
import type { StoreContext } from './context.js';
import { candidatesFor, idleRunCandidates, pickInClaimOrder, type Candidate } from './job-candidates.js';
import { heldAt, takeSlots } from './leases.js';
import { refused, type Outcome } from './results.js';
import { UNFINISHED_RUN_STATES, type RunState } from './run-state.js';
import { toJob, toRun, type Job, type Run } from './runs.js';
import type { JobsTable, RunsTable } from './schema.js';
import { transition, type TransitionTrx } from './transition.js';

/** A lease a job of some kind needs while it runs: a provider's node, a semaphore. */
export interface LeaseNeed {
  readonly resource: string;
  readonly capacity: number;
  /** Slots taken at once (a multi-node job's nodes); 1 when absent. */
  readonly count?: number;
}

export interface ClaimableKind {
  readonly kind: string;
  /** Taken all together with the job, in this order; released by the worker when it ends. */
  readonly leases: readonly LeaseNeed[];
  /**
   * Where an attempt of a job of this kind will write its log, when its provider knows
   * before it runs: recorded with the claim (`jobs.live_log_path`), so readers follow the
   * growing log from the store.
   */
  readonly liveLogPath?: (attempt: { runId: string; jobId: string; attempt: number }) => string;
}

export interface ClaimJobWithLeasesInput {
  worker: string;
  /** Holds the leases (unique per claim, so one worker's leases are told apart). */
  holder: string;
  now: number;
  /** Both the job's lock and its leases last this long unless renewed. */
  leaseMs: number;
  /** The kinds this worker can run, with what each needs. */
  kinds: readonly ClaimableKind[];
  /** The dashboard URL of this worker's serve, recorded with the claim so other hosts find the attempt's log. */
  origin?: string;
  /**
   * The kinds none of which queued makes the answer `empty` (default: those of `kinds`):
   * a worker names every kind it could run once its nodes free, so that answer holds
   * however many free later, while it claims only the kinds that fit now.
   */
  emptyKinds?: readonly string[];
}

export interface HeldLease {
  resource: string;
  slot: number;
  holder: string;
}

/**
 * `empty`: no job of the kinds asked for is queued and available, so a slot freed changes
 * nothing (new work, or the time a retry waits for, does); `none`: jobs are queued, but
 * none of a kind whose leases have a free slot; `contended`: a slot counted free was
 * taken by a racing worker (PostgreSQL) before this one could take it, so nothing was
 * claimed and asking again at once may succeed.
 */
export type ClaimRefusal = 'empty' | 'none' | 'contended';
export type ClaimJobWithLeasesResult = Outcome<ClaimRefusal, ClaimedJob>;

/** A claimed job with its leases; `startedRun`: its run, when this claim started it (its first job), as written. */
export interface ClaimedJob {
  job: Job;
  leases: HeldLease[];
  startedRun?: Run;
}

export interface ClaimJobsWithLeasesInput extends Omit<ClaimJobWithLeasesInput, 'holder'> {
  /** One holder per job it may claim: at most this many jobs, each with its own. */
  holders: readonly string[];
}

/** At least one job when ok, in claim order. */
export type ClaimJobsWithLeasesResult = Outcome<ClaimRefusal, { claims: ClaimedJob[] }>;

/** Reads of the queue one claim transaction makes at most when racing workers took what it picked. */
const CLAIM_ROUNDS = 4;

/** Thrown inside the transaction to roll back a claim whose leases were taken meanwhile. */
class LeaseContended extends Error {}

/**
 * The worker's claim: counts the busy slots of every resource the kinds need, leaves out
 * the kinds whose resources are full, and in one transaction claims the next job of the
 * rest in the fair order (job-candidates.ts), records where its attempt's log will grow,
 * and takes that job's leases.
 * Nothing is leased when nothing is queued, and a lease is never held for a job that
 * did not start: all of it commits, or none of it.
 */
export async function claimJobWithLeases(ctx: StoreContext, input: ClaimJobWithLeasesInput): Promise<ClaimJobWithLeasesResult> {
  const { holder, ...rest } = input;
  const claimed = await claimJobsWithLeases(ctx, { ...rest, holders: [holder] });
  if (!claimed.ok) return claimed;
  return { ok: true, ...(claimed.claims[0] as ClaimedJob) };
}

/**
 * Several claims in one transaction, for a worker with several free slots (a fan-out's
 * children, a queue after a restart): the jobs claimJobWithLeases would claim one after
 * another, in the same fair order, until the holders, the free slots or the queue run out.
 * Which jobs is decided from reads before the transaction (the queued jobs in claim order,
 * the busy slots); the transaction then claims them, takes their slots and starts their
 * runs with one statement each, whatever the batch's size. A job a racing worker claimed
 * meanwhile is left out; a slot it took rolls the whole batch back (`contended`).
 */
export async function claimJobsWithLeases(ctx: StoreContext, input: ClaimJobsWithLeasesInput): Promise<ClaimJobsWithLeasesResult> {
  if (!Number.isSafeInteger(input.leaseMs) || input.leaseMs < 1) throw new RangeError(`leaseMs must be a positive integer, got ${input.leaseMs}`);
  const { now, worker } = input;
  const most = input.holders.length;
  const expiresAt = now + input.leaseMs;
  if (input.kinds.length === 0) return refused('empty');
  if (most === 0) return refused('none');
  // Asked after every job that ends (a node freed may fit a queued job), a claim mostly
  // finds nothing once the queue is drained: one read says so without a transaction.
  const allKinds = input.kinds.map((k) => k.kind);
  const first = await idleRunCandidates(ctx.db, now, allKinds, most, [], !ctx.adapter.writersRunAlone, input.emptyKinds);
  if (!first.anyQueued) return refused('empty');
  const busy = await busySlots(ctx, input.kinds, now);
  const taken = (need: LeaseNeed) => (busy.get(need.resource) ?? []).filter((slot) => slot < need.capacity).length;
  const runnable = new Map(input.kinds.filter((k) => k.leases.every((need) => taken(need) + (need.count ?? 1) <= need.capacity)).map((k) => [k.kind, k]));
  if (runnable.size === 0) return refused('none');
  const kinds = [...runnable.keys()];
  // What this batch's picks take of each resource, on top of the busy slots.
  const reserved = new Map<string, number>();
  const reserve = (c: Candidate, sign: 1 | -1) => {
    for (const need of runnable.get(c.kind)?.leases ?? []) reserved.set(need.resource, (reserved.get(need.resource) ?? 0) + sign * (need.count ?? 1));
  };
  const fits = (c: Candidate) => runnable.get(c.kind)?.leases.every((need) => taken(need) + (reserved.get(need.resource) ?? 0) + (need.count ?? 1) <= need.capacity) ?? false;
  const candidates = await candidatesFor(ctx.db, now, kinds, most, [], first.idle);
  if (pickInClaimOrder(candidates, most, fits, () => {}).length === 0) return refused('none');
  try {
    const claims = await transition(ctx, async (trx, emit) => {
      const claimed: { row: Selectable<JobsTable>; kind: ClaimableKind; runState: RunState }[] = [];
      const tried = new Set<string>();
      let pool = candidates;
      // The read came before the transaction: a job another worker claimed since is not
      // this batch's, and the next ones in the order (read again, in the transaction) are.
      for (let round = 0; round < CLAIM_ROUNDS && claimed.length < most; round++) {
        if (round > 0) pool = await candidatesFor(trx, now, kinds, most - claimed.length, [...tried]);
        const picked = pickInClaimOrder(pool.filter((c) => !tried.has(c.id)), most - claimed.length, fits, (c) => reserve(c, 1));
        if (picked.length === 0) break;
        const rows = await claimRows(ctx, trx, { ids: picked.map((c) => c.id), worker, now, lockedUntil: expiresAt, origin: input.origin ?? null });
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const c of picked) {
          tried.add(c.id);
          const row = byId.get(c.id);
          const kind = runnable.get(c.kind);
          if (row && kind) claimed.push({ row, kind, runState: c.runState });
          else reserve(c, -1);
        }
        if (rows.length === picked.length) break;
      }
      const leases = new Map<string, HeldLease[]>(claimed.map((c) => [c.row.id, []]));
      // Every slot of every lease, or none: a multi-node job never holds part of its nodes.
      const needs = new Map<string, { capacity: number; takers: { holder: string; jobId: string }[] }>();
      for (const [i, { row, kind }] of claimed.entries()) {
        const holder = input.holders[i] as string;
        for (const need of kind.leases) {
          const group = needs.get(need.resource) ?? { capacity: need.capacity, takers: [] };
          for (let n = 0; n < (need.count ?? 1); n++) group.takers.push({ holder, jobId: row.id });
          needs.set(need.resource, group);
        }
      }
      for (const [resource, { capacity, takers }] of needs) {
        const slots = await takeSlots(trx, ctx.adapter, { resource, capacity, takers, now, expiresAt });
        if (slots === undefined) throw new LeaseContended();
        takers.forEach((t, i) => leases.get(t.jobId)?.push({ resource, slot: slots[i] as number, holder: t.holder }));
      }
      // Each lease in the order the job's kind lists them.
      const order = (kind: ClaimableKind, held: HeldLease[]) => kind.leases.flatMap((need) => held.filter((l) => l.resource === need.resource));
      // A run read as running needs no try at starting it.
      const startedRuns = await startRuns(trx, [...new Set(claimed.filter((c) => c.runState !== 'running').map((c) => c.row.run_id))], now);
      const out: ClaimedJob[] = [];
      const liveLogPaths: { id: string; path: string }[] = [];
      for (const { row, kind } of claimed) {
        const startedRun = startedRuns.get(row.run_id);
        if (startedRun) {
          startedRuns.delete(row.run_id);
          emit({ at: now, kind: 'run.started', runId: row.run_id, payload: null });
        }
        emit({ at: now, kind: 'job.started', runId: row.run_id, jobId: row.id, payload: { worker, attempt: row.attempt, lockedUntil: row.locked_until } });
        const liveLogPath = kind.liveLogPath?.({ runId: row.run_id, jobId: row.id, attempt: row.attempt }) ?? null;
        if (liveLogPath !== null) liveLogPaths.push({ id: row.id, path: liveLogPath });
        out.push({ job: toJob({ ...row, live_log_path: liveLogPath }), leases: order(kind, leases.get(row.id) ?? []), ...(startedRun ? { startedRun: toRun(startedRun) } : {}) });
      }
      // The claim cleared the previous attempt's paths; the batch's own are one statement.
      if (liveLogPaths.length > 0) {
        await trx.updateTable('jobs')
          .set({ live_log_path: sql<string>`case ${sql.join(liveLogPaths.map((l) => sql`when ${sql.ref('id')} = ${l.id} then ${l.path}`), sql` `)} end` })
          .where('id', 'in', liveLogPaths.map((l) => l.id))
          .execute();
      }
      return out;
    });
    // Every job picked was claimed by other workers since the read: asking again may find others.
    return claims.length === 0 ? refused('contended') : { ok: true, claims };
  } catch (error) {
    if (error instanceof LeaseContended) return refused('contended');
    throw error;
  }
}

/** The slots held now of every resource the kinds need, by resource (one indexed read). */
async function busySlots(ctx: StoreContext, kinds: readonly ClaimableKind[], now: number): Promise<Map<string, number[]>> {
  const resources = [...new Set(kinds.flatMap((k) => k.leases.map((l) => l.resource)))];
  const busy = new Map<string, number[]>();
  if (resources.length === 0) return busy;
  const held = await ctx.db.selectFrom('leases').select(['resource', 'slot']).where('resource', 'in', resources).where(heldAt(now)).execute();
  for (const row of held) busy.set(row.resource, [...(busy.get(row.resource) ?? []), row.slot]);
  return busy;
}

/**
 * Marks the picked jobs running under `worker`, those still queued in an unfinished run
 * and, on PostgreSQL, not being claimed by another worker right now (their rows are
 * skipped, not waited for). One statement.
 */
async function claimRows(
  ctx: StoreContext,
  trx: TransitionTrx,
  input: { ids: readonly string[]; worker: string; now: number; lockedUntil: number; origin: string | null },
): Promise<Selectable<JobsTable>[]> {
  // Where writers run alone (SQLite) the ids themselves: a subquery there made the
  // planner walk every queued job instead of looking the few ids up.
  const still = ctx.adapter.writersRunAlone ? [...input.ids] : ctx.adapter.lockRows(
    trx.selectFrom('jobs as candidate').select('candidate.id')
      .where('candidate.id', 'in', [...input.ids])
      .where('candidate.state', '=', 'queued' satisfies JobState),
    'skip',
  );
  return trx
    .updateTable('jobs')
    .set((eb) => ({
      state: 'running' satisfies JobState,
      locked_by: input.worker,
      locked_until: input.lockedUntil,
      started_at: input.now,
      attempt: eb('attempt', '+', 1),
      // The previous attempt's log is not this one's: the claim records this one's, if known.
      live_log_path: null,
      log_origin: input.origin,
    }))
    .where('id', 'in', still)
    .where('state', '=', 'queued' satisfies JobState)
    .where((eb) => eb.exists(eb.selectFrom('runs').select('runs.id').whereRef('runs.id', '=', 'jobs.run_id').where('runs.state', 'in', UNFINISHED_RUN_STATES)))
    .returningAll()
    .execute();
}

/** Starts the runs still queued (their first claimed job), as written, by id. One statement. */
async function startRuns(trx: TransitionTrx, runIds: readonly string[], now: number): Promise<Map<string, Selectable<RunsTable>>> {
  if (runIds.length === 0) return new Map();
  const started = await trx
    .updateTable('runs')
    .set({ state: 'running' satisfies RunState, started_at: now })
    .where('id', 'in', [...runIds])
    // Not `state = ...`: SQLite (no statistics) then walked the (state, created_at) index
    // over every queued run instead of looking the few ids up.
    .where((eb) => eb.fn.coalesce('state', sql<string>`''`), '=', 'queued' satisfies RunState)
    .returningAll()
    .execute();
  return new Map(started.map((r) => [r.id, r]));
}
