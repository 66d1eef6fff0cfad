import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { decodeRunRecord, updateFileOf } from '../core/records/run-record.js';
import { collate, type ChildOutcome, type Collation } from '../core/verdicts.js';
import { appliedWaiver, waiverFor, type AppliedWaiver, type Waiver } from '../core/waivers.js';
import type { DialectAdapter } from './adapter.js';
import { member } from './closed.js';
import type { StoreContext } from './context.js';
import { JOB_RESULTS } from './job-state.js';
import { fromJsonText, toJsonText } from './json.js';
import { refused, type Outcome } from './results.js';
import { RUN_VERDICTS, type RunState } from './run-state.js';
import type { Database, WaiversTable } from './schema.js';
import { transition, type Emit } from './transition.js';

// Waivers (docs/lifecycle.md, "Waivers"): stored, never deleted; which one covers a failure
// is core's decision (core/waivers.ts), made here with the run's content and test results.

export interface AddWaiverInput {
  /** The run whose failed job is waived: the waiver binds to its update and content. */
  runId: string;
  target: string;
  test: string | null;
  reason: string;
  by: string;
  now: number;
  expiresAt: number;
}

/** The run given its verdict again after the waiver, when a finished one was (the latest phase1 run of that content). */
export interface Recollated {
  readonly runId: string;
  readonly verdict: Collation['verdict'];
  readonly because: string;
  /** The verdict or its reason changed: the run is reported again. */
  readonly changed: boolean;
}

/**
 * `not_found`: no such run; `not_phase1`: waivers are of phase1 runs (one update, one
 * content); `not_failed`: the run's job on that target did not fail; `test_not_failed`:
 * the named test did not fail in that job's last attempt.
 */
export type AddWaiverResult = Outcome<'not_found' | 'not_phase1' | 'not_failed' | 'test_not_failed', { waiver: Waiver; recollated: Recollated | null }>;
export type RevokeWaiverResult = Outcome<'not_found' | 'revoked', { waiver: Waiver }>;

export interface WaiverQuery {
  updateId?: string;
  contentHash?: string;
  limit?: number;
}

function newWaiverId(now: number): string {
  return `w${now.toString(36)}${randomBytes(3).toString('hex').slice(0, 4)}`;
}

function toWaiver(r: Selectable<WaiversTable>): Waiver {
  return {
    id: r.id, updateId: r.update_id, contentHash: r.content_hash, target: r.target, test: r.test, reason: r.reason, by: r.created_by,
    createdAt: Number(r.created_at), expiresAt: Number(r.expires_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at), revokedBy: r.revoked_by, revokeReason: r.revoke_reason,
  };
}

/** The content of the one update file a run tests (phase1's: its SHA-256); undefined for other runs. */
function contentOf(pipeline: string, inputs: string): string | undefined {
  return updateFileOf(decodeRunRecord(pipeline, fromJsonText(inputs), null))?.contentHash;
}

/** The tests that failed (or errored) in a job's last recorded attempt. */
async function failedTestsOf(trx: Kysely<Database>, jobId: string): Promise<string[]> {
  const rows = await trx.selectFrom('test_results').select(['attempt', 'test_id', 'status']).where('job_id', '=', jobId).execute();
  const last = Math.max(0, ...rows.map((r) => r.attempt));
  return rows.filter((r) => r.attempt === last && (r.status === 'fail' || r.status === 'error')).map((r) => r.test_id).sort();
}

export function parseAppliedWaiver(text: string | null | undefined): AppliedWaiver | null {
  if (text === null || text === undefined) return null;
  const v = fromJsonText(text) as Partial<AppliedWaiver> | null;
  if (!v || typeof v.id !== 'string' || typeof v.by !== 'string' || typeof v.reason !== 'string' || typeof v.expiresAt !== 'number') return null;
  return { id: v.id, by: v.by, reason: v.reason, test: typeof v.test === 'string' ? v.test : null, expiresAt: v.expiresAt };
}

/**
 * Collates a run's finished jobs inside the caller's transaction, a failure covered by an
 * active waiver of the run's update and content counting as passed; records on each job
 * the waiver that covered it (or none). The run row must be locked by the caller.
 */
export async function collateWithWaivers(
  trx: Kysely<Database>,
  run: { id: string; pipeline: string; update_id: string | null; inputs: string },
  jobs: readonly { id: string; target: string; result: string | null; waiver?: string | null }[],
  now: number,
): Promise<Collation> {
  // Only a failure can be waived: a run without one reads no inputs and no waivers.
  const content = jobs.some((j) => j.result === 'failure') ? contentOf(run.pipeline, run.inputs) : undefined;
  const standing = content === undefined || run.update_id === null
    ? []
    : (await trx.selectFrom('waivers').selectAll().where('update_id', '=', run.update_id).where('content_hash', '=', content).execute()).map(toWaiver);
  const children: ChildOutcome[] = [];
  for (const job of jobs) {
    if (job.result === null) throw new TypeError(`job ${job.id} is finished without a result`);
    const result = member(JOB_RESULTS, job.result, 'jobs.result');
    let waiver: AppliedWaiver | null = null;
    if (result === 'failure' && standing.length > 0 && run.update_id !== null && content !== undefined) {
      const needTests = standing.some((w) => w.target === job.target && w.test !== null);
      const found = waiverFor({ updateId: run.update_id, contentHash: content, target: job.target, failedTests: needTests ? await failedTestsOf(trx, job.id) : [] }, standing, now);
      waiver = found ? appliedWaiver(found) : null;
    }
    const text = waiver ? toJsonText(waiver, `waiver of job ${job.id}`) : null;
    if ((job.waiver ?? null) !== text) await trx.updateTable('jobs').set({ waiver: text }).where('id', '=', job.id).execute();
    children.push({ target: job.target, result, waiver });
  }
  return collate(children);
}

/**
 * Gives a finished run its verdict again (its waivers changed): when the verdict or its
 * reason changes, the run owes a report again under a new verdict revision, so the
 * reporters (merge, Gerrit) act on the new verdict exactly once, a restart included.
 * Lock order as transition.ts says: the run's job rows first, then the run row.
 */
async function recollateFinished(trx: Kysely<Database>, adapter: DialectAdapter, emit: Emit, runId: string, waiverId: string, now: number): Promise<Recollated | null> {
  await adapter.lockRows(trx.selectFrom('jobs').select('id').where('run_id', '=', runId).orderBy('id'), 'wait').execute();
  const run = await adapter.lockRows(trx.selectFrom('runs').selectAll().where('id', '=', runId), 'wait').executeTakeFirst();
  if (!run || run.state !== ('finished' satisfies RunState) || run.controller !== null) return null;
  // Collated in settle's order (creation, then id, as the database sorts them), so an unchanged verdict reads the same.
  const ordered = await trx.selectFrom('jobs').select(['id', 'target', 'result', 'waiver']).where('run_id', '=', runId).orderBy('created_at').orderBy('id').execute();
  const collation = await collateWithWaivers(trx, run, ordered, now);
  const changed = collation.verdict !== run.verdict || collation.because !== run.reason;
  if (changed) {
    const revision = Number(run.verdict_revision ?? 0) + 1;
    await trx.updateTable('runs')
      .set({ verdict: collation.verdict, reason: collation.because, verdict_revision: revision, reported_at: null, report_locked_by: null, report_locked_until: null })
      .where('id', '=', runId).execute();
    emit({ at: now, kind: 'run.recollated', runId, payload: { verdict: collation.verdict, because: collation.because, previousVerdict: member(RUN_VERDICTS, run.verdict ?? 'error', 'runs.verdict'), revision, waiverId } });
  }
  return { runId, verdict: collation.verdict, because: collation.because, changed };
}

/** The newest phase1 run of an update with this content, if any. */
async function latestRunOfContent(trx: Kysely<Database>, updateId: string, content: string): Promise<string | undefined> {
  const rows = await trx.selectFrom('runs').select(['id', 'pipeline', 'inputs']).where('update_id', '=', updateId).where('pipeline', '=', 'phase1')
    .orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.find((r) => contentOf(r.pipeline, r.inputs) === content)?.id;
}

/**
 * Records a waiver of a run's failed job, bound to the run's update and content, with an
 * event; then gives the latest phase1 run of that content its verdict again if it has
 * finished (one still going collates with the waiver when it finishes). One transaction.
 */
export function addWaiver(ctx: StoreContext, input: AddWaiverInput): Promise<AddWaiverResult> {
  return transition(ctx, async (trx, emit) => {
    const run = await trx.selectFrom('runs').select(['id', 'pipeline', 'update_id', 'inputs']).where('id', '=', input.runId).executeTakeFirst();
    if (!run) return refused('not_found');
    const content = contentOf(run.pipeline, run.inputs);
    if (content === undefined || run.update_id === null) return refused('not_phase1');
    const job = await trx.selectFrom('jobs').select(['id', 'result']).where('run_id', '=', run.id).where('target', '=', input.target).executeTakeFirst();
    if (!job || job.result !== 'failure') return refused('not_failed');
    if (input.test !== null && !(await failedTestsOf(trx, job.id)).includes(input.test)) return refused('test_not_failed');
    const waiver: Waiver = {
      id: newWaiverId(input.now), updateId: run.update_id, contentHash: content, target: input.target, test: input.test, reason: input.reason, by: input.by,
      createdAt: input.now, expiresAt: input.expiresAt, revokedAt: null, revokedBy: null, revokeReason: null,
    };
    await trx.insertInto('waivers').values({
      id: waiver.id, update_id: waiver.updateId, content_hash: waiver.contentHash, target: waiver.target, test: waiver.test, reason: waiver.reason,
      created_by: waiver.by, created_at: waiver.createdAt, expires_at: waiver.expiresAt,
    }).execute();
    emit({ at: input.now, kind: 'waiver.added', runId: run.id, payload: { id: waiver.id, updateId: waiver.updateId, contentHash: waiver.contentHash, target: waiver.target, test: waiver.test, reason: waiver.reason, by: waiver.by, expiresAt: waiver.expiresAt } });
    const latest = await latestRunOfContent(trx, run.update_id, content);
    const recollated = latest === undefined ? null : await recollateFinished(trx, ctx.adapter, emit, latest, waiver.id, input.now);
    return { ok: true, waiver, recollated } as const;
  });
}

/**
 * Revokes a waiver: recorded in its row and as an event, never deleted. It no longer
 * covers a failure in any collation from now on; a verdict it already gave stands (what
 * was merged stays merged).
 */
export function revokeWaiver(ctx: StoreContext, input: { id: string; by: string; reason: string; now: number }): Promise<RevokeWaiverResult> {
  return transition(ctx, async (trx, emit) => {
    const row = await trx.selectFrom('waivers').selectAll().where('id', '=', input.id).executeTakeFirst();
    if (!row) return refused('not_found');
    if (row.revoked_at !== null) return refused('revoked');
    await trx.updateTable('waivers').set({ revoked_at: input.now, revoked_by: input.by, revoke_reason: input.reason }).where('id', '=', input.id).execute();
    emit({ at: input.now, kind: 'waiver.revoked', payload: { id: input.id, by: input.by, reason: input.reason } });
    return { ok: true, waiver: toWaiver({ ...row, revoked_at: input.now, revoked_by: input.by, revoke_reason: input.reason }) } as const;
  });
}

/** Waivers, newest first: of one update, optionally of one content. */
export async function listWaivers(ctx: StoreContext, query: WaiverQuery = {}): Promise<Waiver[]> {
  let q = ctx.db.selectFrom('waivers').selectAll();
  if (query.updateId !== undefined) q = q.where('update_id', '=', query.updateId);
  if (query.contentHash !== undefined) q = q.where('content_hash', '=', query.contentHash);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit ?? 200).execute();
  return rows.map(toWaiver);
}
