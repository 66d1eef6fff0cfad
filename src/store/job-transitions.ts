import { sql, type Selectable, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import type { RunVerdict } from '../core/verdicts.js';
import { member } from './closed.js';
import type { StoreContext } from './context.js';
import { JOB_RESULTS, type JobResult, type JobState } from './job-state.js';
import { toJsonText } from './json.js';
import { refused, type Outcome } from './results.js';
import type { RunState } from './run-state.js';
import { toJob, type Job, type Run } from './runs.js';
import { settleFinalJobs, settleInside, type ReportClaim } from './run-settle.js';
import { transition, type Emit, type TransitionTrx } from './transition.js';
import { freeSlot, freeSlots, reclaimLeasesOfJob, type ReleaseLeaseInput } from './leases.js';
import type { Database, JobsTable } from './schema.js';

// A job's life: queued -> running (claimJobWithLeases) -> finished (finishJob), with two
// ways back to queued: an infra result with attempts left, and the sweep of a lease
// whose worker stopped heartbeating. Every write here is fenced by the state it
// expects and, for a running job, by its worker (locked_by).

/** An infra retry waits this long times the attempts spent, so a broken provider is not hammered. */
export const INFRA_RETRY_BACKOFF_MS = 10_000;

/** What a worker may report; `skipped` is only ever written when a run is inserted. */
export type ReportedJobResult = Exclude<JobResult, 'skipped'>;
const REPORTED_RESULTS = JOB_RESULTS.filter((r): r is ReportedJobResult => r !== 'skipped');

export interface HeartbeatJobInput {
  jobId: string;
  worker: string;
  now: number;
  leaseMs: number;
}
/**
 * `lost`: the job is not running under this worker any more, or its lease expired
 * (it may be swept at any moment): the worker must stop and report nothing.
 */
export type HeartbeatJobResult = Outcome<'lost', { lockedUntil: number; cancelRequested: boolean }>;

export interface FinishJobInput {
  jobId: string;
  worker: string;
  now: number;
  result: ReportedJobResult;
  /** Why the job ended so (the failing test, the broken connection...). */
  reason: string | null;
  /** Which node ran the attempt and where its log is, kept for `sluice logs` and explain. */
  node?: string | null;
  logPath?: string | null;
  /** The attempt's error excerpt (JSON-able), kept with the job for every reader. */
  excerpt?: unknown;
  /** An infra retry waits this long times the attempts spent (default INFRA_RETRY_BACKOFF_MS). */
  retryBackoffMs?: number;
  /** Leases the attempt held (its node, semaphores), freed in the same transaction, even when the job was `lost`. */
  releaseLeases?: readonly ReleaseLeaseInput[];
  /**
   * The worker is stopping and hands the job back (with an `infra` result): it is queued
   * again at once with its attempt given back, whatever its attempts spent, unless its run
   * was cancelled.
   */
  handBack?: boolean;
  /** When the job is its run's last, the run's report is taken for this worker for this long (`reportClaimed`). */
  claimReportMs?: number;
}
export interface AttemptEnded {
  /** `queued` when an infra attempt is retried, else `finished`. */
  jobState: Extract<JobState, 'queued' | 'finished'>;
  /** The run's verdict when this job was its last unfinished one. */
  runVerdict: RunVerdict | null;
  /** The run's controller adds its rounds (phase2, promote): a finished job may be the one it waits for. */
  runControlled: boolean;
  /** The run finished here and its report is the finishing worker's to make (FinishJobInput.claimReportMs). */
  reportClaimed?: boolean;
  /** With reportClaimed: the run as finished, for its report. */
  finishedRun?: Run;
  /** With finishedRun, when this transaction read them: the run's jobs as collated, for the same report. */
  finishedJobs?: Job[];
}
/** `lost`: the job is not running under this worker (swept, cancelled, or never claimed by it). */
export type FinishJobResult = Outcome<'lost', AttemptEnded>;

export interface SweptJob extends AttemptEnded {
  jobId: string;
  runId: string;
  /** The worker whose lease lapsed. */
  worker: string;
  target: string;
  /** The attempt that was abandoned (a later claim starts the next one). */
  attempt: number;
  /** The lost attempt was given back (max_attempts raised) instead of spent. */
  givenBack: boolean;
}

export interface SweepOptions {
  /** An infra retry waits this long times the attempts spent (default INFRA_RETRY_BACKOFF_MS). */
  retryBackoffMs?: number;
  /** How many attempts of a job lost to a dead worker are given back (default DEFAULT_INTERRUPTED_ATTEMPTS). */
  interruptedAttempts?: number;
}

/** A job's attempts lost to dead workers that are given back before such a loss spends a retry. */
export const DEFAULT_INTERRUPTED_ATTEMPTS = 3;

function positiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/** Extends the worker's lease on a running job, and tells it whether its run was cancelled. */
export async function heartbeatJob(ctx: StoreContext, input: HeartbeatJobInput): Promise<HeartbeatJobResult> {
  positiveInteger(input.leaseMs, 'leaseMs');
  const lockedUntil = input.now + input.leaseMs;
  return transition(ctx, async (trx) => {
    const row = await trx
      .updateTable('jobs')
      .set({ locked_until: lockedUntil })
      .where('id', '=', input.jobId)
      .where('state', '=', 'running' satisfies JobState)
      .where('locked_by', '=', input.worker)
      .where('locked_until', '>=', input.now)
      .returning('cancel_requested_at')
      .executeTakeFirst();
    return row ? ({ ok: true, lockedUntil, cancelRequested: row.cancel_requested_at !== null } as const) : refused('lost');
  });
}

/**
 * Ends the worker's attempt. Works past the lease's expiry as long as no sweep took
 * the job (as releaseLease does). An infra result with attempts left requeues the job;
 * anything else finishes it, and the last job of a run collates the run, all in one
 * transaction.
 */
export async function finishJob(ctx: StoreContext, input: FinishJobInput): Promise<FinishJobResult> {
  member(REPORTED_RESULTS, input.result, 'result');
  if (endsWhateverTheRow(input)) return (await finishJobs(ctx, [input]))[0] as FinishJobResult;
  const claim = reportClaimOf(input);
  const { result, settleAfter } = await transition(ctx, async (trx, emit) => {
    const row = await ctx.adapter
      .lockRows(
        trx
          .selectFrom('jobs')
          .selectAll()
          .where('id', '=', input.jobId)
          .where('state', '=', 'running' satisfies JobState)
          .where('locked_by', '=', input.worker),
        'wait',
      )
      .executeTakeFirst();
    let result: FinishJobResult = refused('lost');
    let settleAfter: string | undefined;
    if (row) {
      // Written by endAttempt's one update of the row: on PostgreSQL a second update of a
      // row this transaction already updated re-checks its foreign key, which share-locks
      // the run, and two finishers of one run holding that lock deadlock on settling it.
      const attemptDetails = {
        node: input.node ?? row.node, log_path: input.logPath ?? row.log_path,
        excerpt: input.excerpt === undefined ? row.excerpt : toJsonText(input.excerpt ?? null, `excerpt of job ${input.jobId}`),
      };
      const handBack = input.handBack === true && input.result === 'infra' && row.cancel_requested_at === null;
      const gift = handBack ? { max_attempts: row.max_attempts + 1, interruptions: row.interruptions + 1 } : {};
      const ended = await endAttempt(ctx, trx, emit, { ...row, ...gift }, input.result, input.reason, input.now, 'job.retried', handBack ? 0 : input.retryBackoffMs, { ...attemptDetails, ...gift }, handBack, claim, 'peek');
      const { othersOpen, ...attempt } = ended;
      result = { ok: true, ...attempt };
      if (othersOpen && !ctx.adapter.writersRunAlone) settleAfter = row.run_id;
    }
    await releaseLeases(ctx, trx, input.releaseLeases ?? [], !row);
    return { result, settleAfter };
  });
  return settleAfterCommit(ctx, result, settleAfter, input.now, claim);
}

/** Anything but infra (and a hand-back) ends the attempt whatever the row holds: no retry, no gift. */
export function endsWhateverTheRow(input: FinishJobInput): boolean {
  return input.result !== 'infra' && input.handBack !== true;
}

function reportClaimOf(input: FinishJobInput): ReportClaim | undefined {
  return input.claimReportMs === undefined ? undefined : { worker: input.worker, leaseMs: input.claimReportMs };
}

/**
 * Several finishes that end their attempts whatever the rows hold (endsWhateverTheRow), in
 * one transaction: the finishes of a fan-out's children that end together cost one BEGIN,
 * one COMMIT and one append of events between them, not one each (store/finish-batcher.ts
 * gathers them). In the lock order of transition.ts: every job row (in id order), then the
 * runs to collate (in run id order), then the leases. Results in the order of `inputs`.
 */
export async function finishJobs(ctx: StoreContext, inputs: readonly FinishJobInput[]): Promise<FinishJobResult[]> {
  const written = await writeFinishes(ctx, inputs);
  return Promise.all(written.map((w) => w.settled()));
}

/** finishJobs' transaction; each result's `settled` then does what is left after the commit (settleAfterCommit). */
export async function writeFinishes(ctx: StoreContext, inputs: readonly FinishJobInput[]): Promise<{ settled: () => Promise<FinishJobResult> }[]> {
  for (const input of inputs) {
    member(REPORTED_RESULTS, input.result, 'result');
    if (!endsWhateverTheRow(input)) throw new RangeError(`job ${input.jobId}: an ${input.result} result is finished alone (finishJob)`);
  }
  const order = inputs.map((input, at) => ({ input, at })).sort((a, b) => (a.input.jobId < b.input.jobId ? -1 : a.input.jobId > b.input.jobId ? 1 : 0));
  const outcomes = await transition(ctx, async (trx, emit) => {
    const ended = order.length === 1
      ? [await finishOne(trx, (order[0] as { input: FinishJobInput }).input)]
      : await finishSeveral(ctx, trx, order.map((o) => o.input));
    for (const [i, row] of ended.entries()) {
      const input = (order[i] as { input: FinishJobInput }).input;
      if (row) emit({ at: input.now, runId: row.run_id, jobId: row.id, kind: 'job.finished', payload: { worker: input.worker, attempt: row.attempt, result: input.result, reason: input.reason } });
    }
    const results: { result: FinishJobResult; settleAfter?: string }[] = order.map(() => ({ result: refused('lost') }));
    const byRun = order.map((o, i) => i).filter((i) => ended[i] !== undefined)
      .sort((a, b) => ((ended[a] as FinishedRow).run_id < (ended[b] as FinishedRow).run_id ? -1 : (ended[a] as FinishedRow).run_id > (ended[b] as FinishedRow).run_id ? 1 : 0));
    for (const i of byRun) {
      const row = ended[i] as FinishedRow;
      const input = (order[i] as { input: FinishJobInput }).input;
      const { othersOpen, ...attempt } = await settleAfterFinish(trx, emit, row, input.now, reportClaimOf(input));
      results[i] = { result: { ok: true, ...attempt }, ...(othersOpen && !ctx.adapter.writersRunAlone ? { settleAfter: row.run_id } : {}) };
    }
    // One look after the commit per run is enough, and none for a run this transaction finished.
    const looked = new Set<string>();
    for (const i of [...byRun].reverse()) {
      const r = results[i] as { result: FinishJobResult; settleAfter?: string };
      const runId = (ended[i] as FinishedRow).run_id;
      if (r.result.ok && r.result.runVerdict !== null) looked.add(runId);
      if (r.settleAfter === undefined) continue;
      if (looked.has(runId)) results[i] = { result: r.result };
      looked.add(runId);
    }
    // Lease rows last (the lock order of transition.ts), every finish's in one statement.
    const freed = await freeSlots(trx, order.flatMap(({ input }) => input.releaseLeases ?? []));
    // A node freed by a finish whose job was lost is work for a waiting worker (a finished job wakes them anyway).
    const lostFreed = order.some(({ input }, i) => ended[i] === undefined && (input.releaseLeases ?? []).some((l) => freed.includes(l)));
    if (lostFreed) await ctx.adapter.wake(trx);
    return results;
  });
  const out: { settled: () => Promise<FinishJobResult> }[] = new Array(inputs.length);
  for (const [i, { input, at }] of order.entries()) {
    const o = outcomes[i] as { result: FinishJobResult; settleAfter?: string };
    out[at] = { settled: () => settleAfterCommit(ctx, o.result, o.settleAfter, input.now, reportClaimOf(input)) };
  }
  return out;
}

/**
 * The run's other jobs were open as this one finished, but on PostgreSQL they may have been
 * finishing at the same moment, each seeing the others open. Read after the commit, the
 * last of them to commit sees every one finished, and collates (settleInside takes the run
 * row's lock and does nothing if another finisher got there first).
 */
async function settleAfterCommit(ctx: StoreContext, result: FinishJobResult, runId: string | undefined, now: number, claim: ReportClaim | undefined): Promise<FinishJobResult> {
  if (!result.ok || runId === undefined) return result;
  const open = await ctx.db.selectFrom('runs')
    .select((eb) => [
      'runs.state',
      eb.selectFrom('jobs').select((j) => j.fn.countAll().as('n')).where('jobs.run_id', '=', runId).where('jobs.state', '<>', 'finished' satisfies JobState).as('open'),
    ])
    .where('runs.id', '=', runId).executeTakeFirst();
  // A sibling's transaction collated it already, or a job is still open: nothing to do here.
  if (!open || open.state === ('finished' satisfies RunState) || Number(open.open ?? 1) > 0) return result;
  const settled = await transition(ctx, (trx, emit) => settleInside(trx, ctx.adapter, emit, runId, now, claim));
  if (!settled.ok) return result;
  return { ...result, runVerdict: settled.verdict, ...(claim ? { reportClaimed: true, ...(settled.run ? { finishedRun: settled.run } : {}) } : {}) };
}

/** Lease rows last, after the job's and the run's (the lock order of transition.ts). */
async function releaseLeases(ctx: StoreContext, trx: TransitionTrx, leases: readonly ReleaseLeaseInput[], jobLost: boolean): Promise<void> {
  let freed = false;
  for (const lease of leases) freed = (await freeSlot(trx, lease)) || freed;
  // A freed node is work for a waiting worker (a finished job wakes them anyway).
  if (freed && jobLost) await ctx.adapter.wake(trx);
}

/**
 * Crash recovery, run at start and periodically: running jobs whose lease expired
 * (their worker died or hung) end their attempt as infra, so they are requeued, or
 * finished as infra once their attempts are spent. Each gets a `job.reclaimed` event.
 */
export async function sweepExpiredJobs(ctx: StoreContext, now: number, opts: SweepOptions = {}): Promise<SweptJob[]> {
  return transition(ctx, async (trx, emit) => {
    // Run id order: several sweepers lock runs in the same order (see transition.ts).
    const rows = await ctx.adapter
      .lockRows(
        trx
          .selectFrom('jobs')
          .selectAll()
          .where('state', '=', 'running' satisfies JobState)
          .where('locked_until', '<', now)
          .orderBy('run_id')
          .orderBy('id'),
        'skip',
      )
      .execute();
    const swept: SweptJob[] = [];
    for (const row of rows) {
      const worker = row.locked_by ?? '';
      const reason = `the lease of ${worker} expired at ${new Date(row.locked_until ?? now).toISOString()}`;
      // The worker died (or stalled past its lease): not the job's failure, so the attempt
      // is given back, a bounded number of times: a job that kills its worker still ends.
      const givenBack = row.cancel_requested_at === null && row.interruptions < (opts.interruptedAttempts ?? DEFAULT_INTERRUPTED_ATTEMPTS);
      // Written by endAttempt's one update of the row (see finishJob on PostgreSQL's second update).
      const gift = givenBack ? { max_attempts: row.max_attempts + 1, interruptions: row.interruptions + 1 } : {};
      const ended = await endAttempt(ctx, trx, emit, { ...row, ...gift }, 'infra', reason, now, 'job.reclaimed', opts.retryBackoffMs, gift, givenBack);
      // Its node and semaphores, which stayed held past their expiry while it ran (heldAt).
      await reclaimLeasesOfJob(trx, ctx.adapter, row.id, now);
      swept.push({ jobId: row.id, runId: row.run_id, worker, target: row.target, attempt: row.attempt, givenBack, ...ended });
    }
    return swept;
  });
}

/** Running jobs whose lock expired before `now`: what the next sweep reclaims, for their processes to be reaped first. */
export async function listExpiredJobs(ctx: StoreContext, now: number): Promise<Job[]> {
  const rows = await ctx.db.selectFrom('jobs').selectAll().where('state', '=', 'running' satisfies JobState).where('locked_until', '<', now).orderBy('run_id').orderBy('id').execute();
  return rows.map(toJob);
}

/** One job, or undefined. */
export async function getJob(ctx: StoreContext, id: string): Promise<Job | undefined> {
  const row = await ctx.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toJob(row);
}

/**
 * The newest job of a job class (`phase1/`, `phase2/provision`) on a target that passed and
 * kept its log: the reference a failing attempt's log is compared with (src/analysis).
 */
export async function latestPassingJob(ctx: StoreContext, query: { classPrefix: string; target: string; before?: number }): Promise<Job | undefined> {
  let q = ctx.db.selectFrom('jobs').selectAll()
    .where('target', '=', query.target).where('result', '=', 'success').where('log_path', 'is not', null)
    .where('kind', 'like', `${query.classPrefix.replace(/[%_\\]/g, '')}%`);
  if (query.before !== undefined) q = q.where('finished_at', '<', query.before);
  const row = await q.orderBy('finished_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row && toJob(row);
}

/**
 * Ends the running attempt of a locked job row. An infra result with attempts left
 * requeues the job after a back-off; once its run was cancelled, the retry is
 * dropped and the job finishes as cancelled. Otherwise the job finishes and, if it
 * was the run's last, the run is collated.
 */
async function endAttempt(
  ctx: StoreContext,
  trx: TransitionTrx,
  emit: Emit,
  row: Selectable<JobsTable>,
  reported: ReportedJobResult,
  reason: string | null,
  now: number,
  requeueEvent: 'job.retried' | 'job.reclaimed',
  retryBackoffMs = INFRA_RETRY_BACKOFF_MS,
  attemptDetails: Partial<Pick<JobsTable, 'node' | 'log_path' | 'excerpt' | 'max_attempts'>> & { interruptions?: number } = {},
  givenBack = false,
  reportClaim?: ReportClaim,
  settle: 'lock' | 'peek' = 'lock',
): Promise<AttemptEnded & { othersOpen?: boolean }> {
  const cancelled = row.cancel_requested_at !== null;
  const fence = trx
    .updateTable('jobs')
    .where('id', '=', row.id)
    .where('state', '=', 'running' satisfies JobState)
    .where('locked_by', '=', row.locked_by);
  const base = { at: now, runId: row.run_id, jobId: row.id };
  if (reported === 'infra' && row.attempt < row.max_attempts && !cancelled) {
    const availableAt = now + retryBackoffMs * row.attempt;
    await fence
      .set({ ...attemptDetails, state: 'queued' satisfies JobState, locked_by: null, locked_until: null, available_at: availableAt, reason })
      .execute();
    const interrupted = requeueEvent === 'job.reclaimed' || givenBack ? { givenBack, interruptions: row.interruptions, maxAttempts: row.max_attempts } : {};
    emit({ ...base, kind: requeueEvent, payload: { worker: row.locked_by, attempt: row.attempt, reason, availableAt, ...interrupted } });
    return { jobState: 'queued', runVerdict: null, runControlled: false };
  }
  const result: ReportedJobResult = cancelled && reported === 'infra' ? 'cancelled' : reported;
  const ended = await finishRow(fence.set({ ...attemptDetails, state: 'finished' satisfies JobState, result, reason, finished_at: now, locked_by: null, locked_until: null }));
  if (requeueEvent === 'job.reclaimed') {
    emit({ ...base, kind: 'job.reclaimed', payload: { worker: row.locked_by, attempt: row.attempt, reason, final: true } });
  }
  emit({ ...base, kind: 'job.finished', payload: { worker: row.locked_by, attempt: row.attempt, result, reason } });
  if (settle === 'peek' && ended) return settleAfterFinish(trx, emit, ended, now, reportClaim);
  const settled = await settleInside(trx, ctx.adapter, emit, row.run_id, now, reportClaim);
  return {
    jobState: 'finished', runVerdict: settled.ok ? settled.verdict : null, runControlled: !settled.ok && settled.code === 'controlled',
    ...(settled.ok && reportClaim ? { reportClaimed: true, ...(settled.run ? { finishedRun: settled.run } : {}) } : {}),
  };
}

/**
 * Writes a job finished (`finishing`: the fenced update with its values) and returns its
 * row as written, with what the same statement saw of its run: whether the run's other
 * jobs are still open, how many it has, and who gives its verdict. A job that is not its
 * run's last then neither reads its jobs nor queues on the run row behind its siblings
 * (32 of one fan-out finishing together).
 */
/** What a finish writes of the attempt's details: only those it names. */
function finishDetails(input: FinishJobInput): { node?: string; log_path?: string; excerpt?: string | null } {
  return {
    ...(input.node != null ? { node: input.node } : {}),
    ...(input.logPath != null ? { log_path: input.logPath } : {}),
    ...(input.excerpt !== undefined ? { excerpt: toJsonText(input.excerpt ?? null, `excerpt of job ${input.jobId}`) } : {}),
  };
}

/** One finish: one fenced statement writes the attempt's end, with no read of the row before. */
function finishOne(trx: TransitionTrx, input: FinishJobInput): Promise<FinishedRow | undefined> {
  return finishRow(trx.updateTable('jobs')
    .set({ state: 'finished' satisfies JobState, result: input.result, reason: input.reason, finished_at: input.now, locked_by: null, locked_until: null, ...finishDetails(input) })
    .where('id', '=', input.jobId)
    .where('state', '=', 'running' satisfies JobState)
    .where('locked_by', '=', input.worker));
}

/**
 * Several finishes (ids ascending, each once): one fenced statement writes every attempt's
 * end, each row's values chosen by its id, and one read counts what is still open in each
 * of their runs. The rows come back as finishOne's would, one after another in this order:
 * a run's rows before its last in the batch count their later siblings as open, so only the
 * last collates the run, as when they were written one by one.
 */
async function finishSeveral(ctx: StoreContext, trx: TransitionTrx, inputs: readonly FinishJobInput[]): Promise<(FinishedRow | undefined)[]> {
  const details = inputs.map(finishDetails);
  const ids = inputs.map((input) => input.jobId);
  // Each column: the value of the row's own finish, or what the row holds when it names none.
  const byId = <T>(column: 'result' | 'reason' | 'finished_at' | 'node' | 'log_path' | 'excerpt' | 'locked_by', valueOf: (input: FinishJobInput, i: number) => unknown) => {
    const cases = inputs.flatMap((input, i) => {
      const value = valueOf(input, i);
      return value === undefined ? [] : [sql`when ${input.jobId} then ${value}`];
    });
    return cases.length === 0 ? sql<T>`${sql.ref(column)}` : sql<T>`case ${sql.ref('id')} ${sql.join(cases, sql` `)} else ${sql.ref(column)} end`;
  };
  // In id order on PostgreSQL, as one at a time would lock them (the lock order of transition.ts).
  const locked = ctx.adapter.lockRows(trx.selectFrom('jobs as finishing').select('finishing.id').where('finishing.id', 'in', ids).orderBy('finishing.id'), 'wait');
  const rows = await trx.updateTable('jobs')
    .set({
      state: 'finished' satisfies JobState, locked_by: null, locked_until: null,
      result: byId<JobResult>('result', (input) => input.result), reason: byId<string | null>('reason', (input) => input.reason), finished_at: byId<number>('finished_at', (input) => input.now),
      node: byId<string | null>('node', (_, i) => details[i]?.node), log_path: byId<string | null>('log_path', (_, i) => details[i]?.log_path),
      excerpt: byId<string | null>('excerpt', (_, i) => details[i]?.excerpt),
    })
    .where('id', 'in', locked)
    .where('state', '=', 'running' satisfies JobState)
    // Fenced by each finish's own worker.
    .where(sql.ref('locked_by'), '=', byId<string>('locked_by', (input) => input.worker))
    .returningAll()
    .execute();
  if (rows.length === 0) return inputs.map(() => undefined);
  const runIds = [...new Set(rows.map((r) => r.run_id))];
  const counts = await trx.selectFrom('jobs')
    .select((eb) => [
      'jobs.run_id',
      eb.fn.countAll().as('total'),
      eb.fn.sum<number>(eb.case().when('jobs.state', '<>', 'finished' satisfies JobState).then(1).else(0).end()).as('open'),
      eb.selectFrom('runs').select('runs.controller').whereRef('runs.id', '=', 'jobs.run_id').as('controller'),
    ])
    .where('jobs.run_id', 'in', runIds)
    .groupBy('jobs.run_id')
    .execute();
  const countOf = new Map(counts.map((c) => [c.run_id, c]));
  const written = new Map(rows.map((r) => [r.id, r]));
  // How many of each run's rows in this batch come after the one at hand.
  const later = new Map<string, number>();
  for (const r of rows) later.set(r.run_id, (later.get(r.run_id) ?? 0) + 1);
  return inputs.map((input) => {
    const row = written.get(input.jobId);
    if (!row) return undefined;
    const count = countOf.get(row.run_id);
    const after = (later.get(row.run_id) ?? 1) - 1;
    later.set(row.run_id, after);
    return {
      ...row,
      others_total: Number(count?.total ?? 1) - 1,
      others_open: Number(count?.open ?? 0) + after,
      controller: count?.controller ?? null,
    };
  });
}

function finishRow(finishing: UpdateQueryBuilder<Database, 'jobs', 'jobs', UpdateResult>) {
  return finishing
    .returningAll()
    .returning((eb) => [
      eb.selectFrom('jobs as other').select((o) => o.fn.countAll().as('n'))
        .whereRef('other.run_id', '=', 'jobs.run_id').whereRef('other.id', '<>', 'jobs.id')
        .as('others_total'),
      eb.selectFrom('jobs as other').select((o) => o.fn.countAll().as('n'))
        .whereRef('other.run_id', '=', 'jobs.run_id').whereRef('other.id', '<>', 'jobs.id').where('other.state', '<>', 'finished' satisfies JobState)
        .as('others_open'),
      eb.selectFrom('runs').select('runs.controller').whereRef('runs.id', '=', 'jobs.run_id').as('controller'),
    ])
    .executeTakeFirst();
}

type FinishedRow = NonNullable<Awaited<ReturnType<typeof finishRow>>>;

/** After finishRow: collates the run when the job was its last, without the run row's lock. */
async function settleAfterFinish(trx: TransitionTrx, emit: Emit, ended: FinishedRow, now: number, reportClaim: ReportClaim | undefined): Promise<AttemptEnded & { othersOpen?: boolean }> {
  if (ended.controller !== null) return { jobState: 'finished', runVerdict: null, runControlled: true };
  if (Number(ended.others_open ?? 0) > 0) return { jobState: 'finished', runVerdict: null, runControlled: false, othersOpen: true };
  // Every other job of the run had finished (and committed) before finishRow's statement:
  // the run's jobs are final, and this transaction collates them without the run row's
  // lock. A sibling's settling after its commit (finishJob) may race it; the run's update
  // is conditional on the run being unfinished, so exactly one of them finishes it.
  const { others_open: _open, others_total: others, controller: _controller, ...updated } = ended;
  const jobs = Number(others ?? 0) === 0
    ? [updated]
    : await trx.selectFrom('jobs').selectAll().where('run_id', '=', updated.run_id).orderBy('created_at').orderBy('id').execute();
  const settled = await settleFinalJobs(trx, emit, updated.run_id, jobs, now, reportClaim);
  return {
    jobState: 'finished', runVerdict: settled?.collation.verdict ?? null, runControlled: false,
    ...(settled && reportClaim ? { reportClaimed: true, finishedRun: settled.run } : {}),
    // A failure's row may have had its waiver written since it was read: its report reads the jobs again.
    ...(settled && reportClaim && !jobs.some((j) => j.result === 'failure') ? { finishedJobs: jobs.map(toJob) } : {}),
  };
}
