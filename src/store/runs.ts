import type { Kysely, Selectable } from 'kysely';
import { checkNewRunRecord, decodeRunRecord, type NewRunRecord, type RunRecord, type UnreadableRunRecord } from '../core/records/run-record.js';
import { member, optionalMember } from './closed.js';
import { write, type StoreContext } from './context.js';
import type { EventRow } from './adapter.js';
import { eventRow, insertEvent } from './events.js';
import { checkEventRecord } from '../core/records/events.js';
import { JOB_RESULTS, JOB_STATES, type JobResult, type JobState } from './job-state.js';
import { fromJsonText, toJsonText } from './json.js';
import { PIPELINES, type Pipeline } from './pipeline.js';
import { refused, type Outcome, type Refused } from './results.js';
import { RUN_STATES, RUN_VERDICTS, type RunState, type RunVerdict, UNFINISHED_RUN_STATES } from './run-state.js';
import type { Database, JobsTable, RunsTable } from './schema.js';
import type { AppliedWaiver } from '../core/waivers.js';
import { parseAppliedWaiver } from './waivers.js';

/** A run to write: its pipeline with what it was started with (the update, the snapshot commit...), typed by the pipeline's record. */
export type NewRun = NewRunRecord & {
  id: string;
  updateId?: string | null;
  reason?: string | null;
  /** The controller that adds this run's jobs round by round and gives its verdict (phase2, promote). */
  controller?: string | null;
};

/** Pipelines of which only one run may be unfinished at a time (a partial unique index backs this). */
export const EXCLUSIVE_PIPELINES: readonly Pipeline[] = ['phase2', 'promote'];

export interface NewJob {
  id: string;
  target: string;
  kind: string;
  maxAttempts: number;
  spec?: unknown;
  /** Set when the job will never run (its target is disabled): it is written finished/skipped. */
  skipReason?: string | null;
  /** A `recheck failed` run's passing job of the earlier run: written finished/success, not run again. */
  carried?: { readonly fromJob: string; readonly fromRun: string; readonly node: string | null; readonly logPath: string | null } | null;
}

export interface InsertRunInput {
  run: NewRun;
  jobs: readonly NewJob[];
  now: number;
}

/**
 * `duplicate_id`: a run or job id exists already; `unknown_update`: no such update;
 * `pipeline_busy`: a run of this pipeline is unfinished and only one may be (`activeRunId`).
 */
export type InsertRunResult = Outcome<'duplicate_id' | 'unknown_update'> | (Refused<'pipeline_busy'> & { readonly activeRunId: string });

/** What every run row has, whatever its pipeline. */
export interface RunRow {
  id: string;
  updateId: string | null;
  state: RunState;
  verdict: RunVerdict | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  reason: string | null;
  /** When its report (merge, vote) was made; null while one is owed. */
  reportedAt: number | null;
  /** Set when a controller adds the run's jobs round by round (phase2, promote). */
  controller: string | null;
  cancelRequestedAt: number | null;
  /** Raised each time a waiver gave the finished run its verdict again; a report names the revision it made. */
  verdictRevision?: number;
}

/**
 * A run as read: its row with `pipeline`, `inputs` and `outcome` (what the controller
 * decided, once it has) decoded by the pipeline's record schemas (core/records). A row
 * this version cannot decode reads as the `unreadable` variant instead of failing the read.
 */
export type Run = RunRow & (RunRecord | UnreadableRunRecord);
/** A run of one pipeline (or the unreadable variant). */
export type RunOf<P extends Run['pipeline']> = Extract<Run, { pipeline: P }>;

export interface Job {
  id: string;
  runId: string;
  target: string;
  kind: string;
  state: JobState;
  result: JobResult | null;
  /** Why the job ended as it did (test, infra, timeout...). */
  reason: string | null;
  /** Why the job never ran; only with result `skipped`. */
  skipReason: string | null;
  /** How many times the job has been claimed. */
  attempt: number;
  /** Attempts allowed, raised by one for each attempt given back after its worker died. */
  maxAttempts: number;
  /** Attempts lost to the death of the worker running them and given back. */
  interruptions: number;
  /** The job is not claimed before this time (a retry backs off by moving it). */
  availableAt: number;
  lockedBy: string | null;
  lockedUntil: number | null;
  node: string | null;
  /** The log of the last attempt that ended. */
  logPath: string | null;
  /** Where the current (or last) attempt writes its log, recorded as it starts; null when its provider keeps none on this host. */
  liveLogPath: string | null;
  /** The dashboard URL of the serve whose worker ran the current (or last) attempt; null when it had none. */
  logOrigin: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  spec: unknown;
  /** The error excerpt of its last attempt, as analysis made it (null when none was made). */
  excerpt?: unknown;
  /** The waiver that covered this job's failure when its run was collated (docs/lifecycle.md, "Waivers"). */
  waiver?: AppliedWaiver | null;
  /** Set on a `recheck failed` run's job that did not run again: the earlier job whose pass it carries. */
  carriedFrom?: string | null;
}

/** Writes a run and all its jobs, plus a `run.created` event, in one transaction. */
export async function insertRunWithJobs(ctx: StoreContext, input: InsertRunInput): Promise<InsertRunResult> {
  const { run, jobs, now } = input;
  member(PIPELINES, run.pipeline, 'run.pipeline');
  checkNewRunRecord(run);
  for (const job of jobs) {
    if (!Number.isSafeInteger(job.maxAttempts) || job.maxAttempts < 1) {
      throw new RangeError(`maxAttempts of job ${job.id} must be a positive integer, got ${job.maxAttempts}`);
    }
  }
  const busy = async (): Promise<InsertRunResult | undefined> => {
    if (!EXCLUSIVE_PIPELINES.includes(run.pipeline)) return undefined;
    const active = await activeRunOf(ctx, run.pipeline);
    return active === undefined ? undefined : { ok: false, code: 'pipeline_busy', activeRunId: active };
  };
  const early = await busy();
  if (early) return early;
  try {
    return await write(ctx, async (trx) => {
      await trx
        .insertInto('runs')
        .values({
          id: run.id,
          pipeline: run.pipeline,
          update_id: run.updateId ?? null,
          state: 'queued' satisfies RunState,
          created_at: now,
          inputs: toJsonText(run.inputs, `inputs of run ${run.id}`),
          reason: run.reason ?? null,
          controller: run.controller ?? null,
        })
        .execute();
      await insertJobRows(trx, run.id, jobs, now);
      await insertEvent(trx, ctx.adapter, {
        at: now,
        kind: 'run.created',
        runId: run.id,
        payload: { pipeline: run.pipeline, updateId: run.updateId ?? null, jobs: jobs.map((j) => j.id) },
      });
      await ctx.adapter.wake(trx);
      return { ok: true } as const;
    });
  } catch (error) {
    const violated = ctx.adapter.constraintViolation(error);
    // Two triggers raced past the check above: the index refused the second one.
    if (violated === 'unique') return (await busy()) ?? refused('duplicate_id');
    if (violated === 'foreign_key') return refused('unknown_update');
    throw error;
  }
}

/** Job rows one statement inserts at most: 17 parameters a row, well under SQLite's bound-parameter limit (32,766). */
const JOBS_PER_INSERT = 100;

/** Writes job rows of a run inside the caller's transaction; a skipped job is written finished. */
export async function insertJobRows(trx: Kysely<Database>, runId: string, jobs: readonly NewJob[], now: number): Promise<void> {
  const rows = jobs.map((job) => {
    if (!Number.isSafeInteger(job.maxAttempts) || job.maxAttempts < 1) {
      throw new RangeError(`maxAttempts of job ${job.id} must be a positive integer, got ${job.maxAttempts}`);
    }
    const spec = toJsonText(job.spec ?? null, `spec of job ${job.id}`);
    const common = { id: job.id, run_id: runId, target: job.target, kind: job.kind, attempt: 0, max_attempts: job.maxAttempts, available_at: now, created_at: now, spec };
    // Every row names the same columns, so the rows share one statement.
    if (job.carried) {
      return {
        ...common, state: 'finished' satisfies JobState, result: 'success' satisfies JobResult, skip_reason: null, finished_at: now,
        reason: `passed in run ${job.carried.fromRun}`, node: job.carried.node, log_path: job.carried.logPath, carried_from: job.carried.fromJob,
      };
    }
    const skipped = job.skipReason != null;
    return {
      ...common,
      state: (skipped ? 'finished' : 'queued') satisfies JobState,
      result: skipped ? ('skipped' satisfies JobResult) : null,
      skip_reason: job.skipReason ?? null,
      finished_at: skipped ? now : null,
      reason: null, node: null, log_path: null, carried_from: null,
    };
  });
  // A fan-out's rows in one round trip, not one each (32 targets: 32 on PostgreSQL).
  for (let at = 0; at < rows.length; at += JOBS_PER_INSERT) await trx.insertInto('jobs').values(rows.slice(at, at + JOBS_PER_INSERT)).execute();
}

/** The unfinished run of a pipeline, if any (newest first, though an exclusive one has at most one). */
export async function activeRunOf(ctx: StoreContext, pipeline: Pipeline): Promise<string | undefined> {
  const row = await ctx.db.selectFrom('runs').select('id').where('pipeline', '=', pipeline)
    .where('state', 'in', UNFINISHED_RUN_STATES).orderBy('created_at', 'desc').executeTakeFirst();
  return row?.id;
}

export async function getRun(ctx: StoreContext, id: string): Promise<Run | undefined> {
  const row = await ctx.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRun(row);
}

/** The run's jobs, by creation time then id. */
export async function listJobs(ctx: StoreContext, runId: string): Promise<Job[]> {
  const rows = await ctx.db
    .selectFrom('jobs')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toJob);
}

/** At most this many run ids in one `in (...)`: far under SQLite's bound-parameter limit. */
const RUNS_PER_READ = 500;

/** The jobs of several runs in one read per RUNS_PER_READ runs: by run id, each run's jobs in listJobs' order. */
export async function listJobsOfRuns(ctx: StoreContext, runIds: readonly string[]): Promise<Map<string, Job[]>> {
  const byRun = new Map<string, Job[]>(runIds.map((id) => [id, []]));
  const ids = [...byRun.keys()];
  for (let at = 0; at < ids.length; at += RUNS_PER_READ) {
    const rows = await ctx.db
      .selectFrom('jobs')
      .selectAll()
      .where('run_id', 'in', ids.slice(at, at + RUNS_PER_READ))
      .orderBy('run_id')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const row of rows) byRun.get(row.run_id)?.push(toJob(row));
  }
  return byRun;
}

export function toRun(row: Selectable<RunsTable>): Run {
  return {
    ...decodeRunRecord(row.pipeline, fromJsonText(row.inputs), row.outcome === null ? null : fromJsonText(row.outcome)),
    id: row.id,
    updateId: row.update_id,
    state: member(RUN_STATES, row.state, 'runs.state'),
    verdict: optionalMember(RUN_VERDICTS, row.verdict, 'runs.verdict'),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    reason: row.reason,
    reportedAt: row.reported_at,
    controller: row.controller,
    cancelRequestedAt: row.cancel_requested_at,
    verdictRevision: Number(row.verdict_revision ?? 0),
  };
}

export function toJob(row: Selectable<JobsTable>): Job {
  return {
    id: row.id,
    runId: row.run_id,
    target: row.target,
    kind: row.kind,
    state: member(JOB_STATES, row.state, 'jobs.state'),
    result: optionalMember(JOB_RESULTS, row.result, 'jobs.result'),
    reason: row.reason,
    skipReason: row.skip_reason,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    interruptions: row.interruptions,
    availableAt: row.available_at,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    node: row.node,
    logPath: row.log_path,
    liveLogPath: row.live_log_path ?? null,
    logOrigin: row.log_origin ?? null,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    spec: fromJsonText(row.spec),
    excerpt: row.excerpt === null || row.excerpt === undefined ? null : fromJsonText(row.excerpt),
    waiver: parseAppliedWaiver(row.waiver),
    carriedFrom: row.carried_from ?? null,
  };
}

/** Runs, newest first, optionally of one update, of one pipeline or still unfinished. */
export async function listRuns(ctx: StoreContext, query: { updateId?: string; pipeline?: Pipeline; unfinished?: boolean; limit?: number } = {}): Promise<Run[]> {
  let q = ctx.db.selectFrom('runs').selectAll();
  if (query.updateId !== undefined) q = q.where('update_id', '=', query.updateId);
  if (query.pipeline !== undefined) q = q.where('pipeline', '=', query.pipeline);
  if (query.unfinished) q = q.where('state', 'in', UNFINISHED_RUN_STATES);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit ?? 50).execute();
  return rows.map(toRun);
}

/** Finished runs that still owe their report, oldest first. */
export async function listUnreportedRuns(ctx: StoreContext, limit = 100): Promise<Run[]> {
  // Every finished run has finished_at; saying so skips, in the (reported_at, finished_at)
  // index, the unfinished runs (also unreported, with no finished_at, sorted first by SQLite).
  const rows = await ctx.db.selectFrom('runs').selectAll()
    .where('state', '=', 'finished' satisfies RunState).where('reported_at', 'is', null).where('finished_at', 'is not', null)
    .orderBy('finished_at').orderBy('id').limit(limit).execute();
  return rows.map(toRun);
}

/** Marks a run's report as made; false when it was marked already (by another worker). */
export async function markRunReported(ctx: StoreContext, input: { runId: string; now: number; revision?: number }): Promise<boolean> {
  const event = { at: input.now, kind: 'run.reported', runId: input.runId, payload: {} } as const;
  checkEventRecord(event);
  // One statement on PostgreSQL (DialectAdapter.updateWithEvent): a report per run adds up.
  return ctx.adapter.updateWithEvent(ctx.db, (db: Kysely<Database>) => {
    let q = db.updateTable('runs').set({ reported_at: input.now })
      .where('id', '=', input.runId).where('reported_at', 'is', null).where('state', '=', 'finished' satisfies RunState);
    // A report made of an older verdict (a waiver gave the run a new one meanwhile) is not the one owed.
    if (input.revision !== undefined) q = q.where('verdict_revision', '=', input.revision);
    return q.returning('id as run_id');
  }, withoutRun(eventRow(event)));
}

function withoutRun({ run_id: _run, ...row }: EventRow): Omit<EventRow, 'run_id'> {
  return row;
}

/**
 * Takes the right to report a finished run for `leaseMs`: true for exactly one caller
 * while the lease lasts; a lapsed lease (its reporter died) can be taken again.
 */
export async function claimRunReport(ctx: StoreContext, input: { runId: string; worker: string; now: number; leaseMs: number }): Promise<boolean> {
  return write(ctx, async (trx) => {
    const done = await trx.updateTable('runs')
      .set({ report_locked_by: input.worker, report_locked_until: input.now + input.leaseMs })
      .where('id', '=', input.runId).where('state', '=', 'finished' satisfies RunState).where('reported_at', 'is', null)
      .where((eb) => eb.or([eb('report_locked_until', 'is', null), eb('report_locked_until', '<', input.now), eb('report_locked_by', '=', input.worker)]))
      .executeTakeFirst();
    return Number(done.numUpdatedRows) === 1;
  });
}

/** Ids of every unfinished run: what a provider's orphan sweep must leave alone. */
export async function listUnfinishedRunIds(ctx: StoreContext): Promise<string[]> {
  const rows = await ctx.db.selectFrom('runs').select('id').where('state', 'in', UNFINISHED_RUN_STATES).execute();
  return rows.map((r) => r.id);
}

/** Unfinished runs none of whose jobs is still open: only a settle can finish them. */
export async function listStrandedRunIds(ctx: StoreContext): Promise<string[]> {
  const rows = await ctx.db.selectFrom('runs').select('runs.id')
    .where('runs.state', 'in', UNFINISHED_RUN_STATES).where('runs.controller', 'is', null)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('jobs').select('jobs.id').whereRef('jobs.run_id', '=', 'runs.id').where('jobs.state', '!=', 'finished' satisfies JobState))))
    .orderBy('runs.created_at').execute();
  return rows.map((r) => r.id);
}
