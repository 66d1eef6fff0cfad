import { sql } from 'kysely';
import type { JobState } from './job-state.js';
import type { StoreContext } from './context.js';
import { heldAt } from './leases.js';
import { claimRow, startClaimedJob } from './job-transitions.js';
import { takeSlot } from './leases.js';
import { refused, type Outcome } from './results.js';
import { toJob, type Job, type Run } from './runs.js';
import { transition } from './transition.js';

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
}

export interface HeldLease {
  resource: string;
  slot: number;
  holder: string;
}

/**
 * `none`: no queued job of a kind whose leases have a free slot; `contended`: a slot
 * counted free was taken by a racing worker (PostgreSQL) before this one could take it,
 * so nothing was claimed and asking again at once may succeed.
 */
export type ClaimJobWithLeasesResult = Outcome<'none' | 'contended', ClaimedJob>;

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
export type ClaimJobsWithLeasesResult = Outcome<'none' | 'contended', { claims: ClaimedJob[] }>;

/** Thrown inside the transaction to roll back a claim whose leases were taken meanwhile. */
class LeaseContended extends Error {}

/**
 * The worker's claim as one transaction: counts the busy slots of every resource the
 * kinds need (one indexed read), leaves out the kinds whose resources are full, claims
 * the next job of the rest in pickNextJob's fair order, records where its attempt's log
 * will grow, and takes that job's leases.
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
 * children, a queue after a restart): each job is claimed as claimJobWithLeases would,
 * in the same fair order (the transaction sees its own claims, so a run it just gave a
 * job to sorts after idle ones), until the holders, the free slots or the queue run out.
 * One transaction and one read of the busy slots instead of one each per job. A slot
 * contended by a racing worker rolls the whole batch back (`contended`).
 */
export async function claimJobsWithLeases(ctx: StoreContext, input: ClaimJobsWithLeasesInput): Promise<ClaimJobsWithLeasesResult> {
  if (!Number.isSafeInteger(input.leaseMs) || input.leaseMs < 1) throw new RangeError(`leaseMs must be a positive integer, got ${input.leaseMs}`);
  const { now, worker } = input;
  const expiresAt = now + input.leaseMs;
  const resources = [...new Set(input.kinds.flatMap((k) => k.leases.map((l) => l.resource)))];
  // Asked after every job that ends (a node freed may fit a queued job), a claim mostly
  // finds nothing once the queue is drained: one indexed read says so without a
  // transaction (a fan-out's last children: one round trip each where five were).
  if (input.kinds.length === 0) return refused('none');
  const queued = await ctx.db.selectFrom('jobs').select('id')
    .where('state', '=', 'queued' satisfies JobState).where('available_at', '<=', now)
    .where('kind', 'in', input.kinds.map((k) => k.kind))
    .limit(1).executeTakeFirst();
  if (!queued) return refused('none');
  try {
    const claims = await transition(ctx, async (trx, emit) => {
      const busy = new Map<string, number[]>();
      if (resources.length > 0) {
        const held = await trx
          .selectFrom('leases')
          .select(['resource', 'slot'])
          .where('resource', 'in', resources)
          .where(heldAt(now))
          .execute();
        for (const row of held) busy.set(row.resource, [...(busy.get(row.resource) ?? []), row.slot]);
      }
      const hasRoom = (need: LeaseNeed) => (busy.get(need.resource) ?? []).filter((slot) => slot < need.capacity).length + (need.count ?? 1) <= need.capacity;
      const out: ClaimedJob[] = [];
      // Once no idle run has a job, none will within this transaction (its claims only make
      // runs busy), so the rest of the batch asks the full order at once: a fan-out's
      // children cost one claiming statement each, not two.
      let idleRunsFirst = true;
      // A run this batch saw started (or start) needs no second try at starting it.
      const started = new Set<string>();
      const liveLogPaths: { id: string; path: string }[] = [];
      for (const holder of input.holders) {
        const runnable = input.kinds.filter((k) => k.leases.every(hasRoom));
        if (runnable.length === 0) break;
        const row = await claimRow(ctx, trx, { worker, now, lockedUntil: expiresAt, kinds: runnable.map((k) => k.kind), origin: input.origin ?? null, idleRunsFirst });
        if (!row) break;
        // A job of a run this batch already gave one to: the idle-runs try found nothing.
        if (started.has(row.run_id)) idleRunsFirst = false;
        const kind = runnable.find((k) => k.kind === row.kind);
        if (!kind) throw new Error(`job ${row.id} of kind ${row.kind} was claimed for none of the kinds asked for`);
        // claimRow cleared the previous attempt's; the rows are this transaction's already,
        // and all of the batch's paths are written in one statement at its end.
        const liveLogPath = kind.liveLogPath?.({ runId: row.run_id, jobId: row.id, attempt: row.attempt }) ?? null;
        if (liveLogPath !== null) liveLogPaths.push({ id: row.id, path: liveLogPath });
        const leases: HeldLease[] = [];
        // Every slot of every lease, or none: a multi-node job never holds part of its nodes.
        for (const need of kind.leases) {
          for (let n = 0; n < (need.count ?? 1); n++) {
            const slot = await takeSlot(trx, ctx.adapter, { resource: need.resource, capacity: need.capacity, holder, jobId: row.id, now, expiresAt });
            if (slot === undefined) throw new LeaseContended();
            leases.push({ resource: need.resource, slot, holder });
            busy.set(need.resource, [...(busy.get(need.resource) ?? []), slot]);
          }
        }
        const startedRun = await startClaimedJob(trx, emit, { id: row.id, run_id: row.run_id, attempt: row.attempt, locked_until: expiresAt }, worker, now, !started.has(row.run_id));
        started.add(row.run_id);
        out.push({ job: toJob({ ...row, live_log_path: liveLogPath }), leases, ...(startedRun ? { startedRun } : {}) });
      }
      if (liveLogPaths.length > 0) {
        await trx.updateTable('jobs')
          .set({ live_log_path: sql<string>`case ${sql.join(liveLogPaths.map((l) => sql`when ${sql.ref('id')} = ${l.id} then ${l.path}`), sql` `)} end` })
          .where('id', 'in', liveLogPaths.map((l) => l.id))
          .execute();
      }
      return out;
    });
    return claims.length === 0 ? refused('none') : { ok: true, claims };
  } catch (error) {
    if (error instanceof LeaseContended) return refused('contended');
    throw error;
  }
}
