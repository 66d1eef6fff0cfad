import { sql } from 'kysely';
import { member } from './closed.js';
import { write, type StoreContext } from './context.js';

export const TEST_STATUSES = ['pass', 'fail', 'skip', 'error'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

export interface TestOutcome {
  readonly testId: string;
  readonly status: TestStatus;
  readonly message?: string | null;
  readonly durationMs?: number | null;
}

export interface RecordTestResultsInput {
  jobId: string;
  attempt: number;
  runId: string;
  target: string;
  /** What was tested: the update file's SHA-256 (or a group's), the key for flakiness. */
  content: string;
  results: readonly TestOutcome[];
  now: number;
}

export interface StoredTestResult extends Required<TestOutcome> {
  readonly jobId: string;
  readonly attempt: number;
  readonly runId: string;
  readonly target: string;
  readonly content: string;
  readonly recordedAt: number;
}

export interface FlakyTest {
  readonly target: string;
  readonly testId: string;
  /** Distinct contents on which the test both failed and passed. */
  readonly flips: number;
  readonly failures: number;
  readonly lastSeen: number;
}

/** A message is kept for the report, not as a log: long ones are cut. */
const MAX_MESSAGE = 4096;

/** Records one attempt's per-test results; recording the same attempt again replaces nothing (first write wins). */
export async function recordTestResults(ctx: StoreContext, input: RecordTestResultsInput): Promise<{ recorded: number }> {
  for (const r of input.results) member(TEST_STATUSES, r.status, 'test status');
  return write(ctx, async (trx) => {
    let recorded = 0;
    const seen = new Set<string>();
    for (const r of input.results) {
      // A result file may name a test twice (a retried test): the last verdict counts.
      if (seen.has(r.testId)) continue;
      seen.add(r.testId);
      const row = await trx.insertInto('test_results').values({
        job_id: input.jobId, attempt: input.attempt, run_id: input.runId, target: input.target, content: input.content,
        test_id: r.testId, status: r.status, message: r.message ? r.message.slice(0, MAX_MESSAGE) : null,
        duration_ms: r.durationMs ?? null, recorded_at: input.now,
      }).onConflict((oc) => oc.columns(['job_id', 'attempt', 'test_id']).doNothing()).returning('test_id').executeTakeFirst();
      if (row) recorded++;
    }
    return { recorded };
  });
}

export async function listTestResults(ctx: StoreContext, jobId: string): Promise<StoredTestResult[]> {
  const rows = await ctx.db.selectFrom('test_results').selectAll().where('job_id', '=', jobId).orderBy('attempt').orderBy('test_id').execute();
  return rows.map((r) => ({
    jobId: r.job_id, attempt: r.attempt, runId: r.run_id, target: r.target, content: r.content, testId: r.test_id,
    status: member(TEST_STATUSES, r.status, 'test_results.status'), message: r.message, durationMs: r.duration_ms === null ? null : Number(r.duration_ms), recordedAt: Number(r.recorded_at),
  }));
}

/**
 * Tests that failed and passed on the same content and target (a rerun, a retry, another
 * phase2 round): the worst offenders first. A test that fails every time is broken, not
 * flaky, and is not listed.
 */
export async function listFlakyTests(ctx: StoreContext, query: { limit?: number; target?: string } = {}): Promise<FlakyTest[]> {
  let flips = ctx.db.selectFrom('test_results')
    .select(['target', 'test_id', 'content'])
    .select((eb) => [
      eb.fn.max('recorded_at').as('last_seen'),
      eb.fn.sum<number>(sql<number>`case when status in ('fail', 'error') then 1 else 0 end`).as('failures'),
    ])
    .groupBy(['target', 'test_id', 'content'])
    .having(sql<boolean>`sum(case when status in ('fail', 'error') then 1 else 0 end) > 0`)
    .having(sql<boolean>`sum(case when status = 'pass' then 1 else 0 end) > 0`);
  if (query.target !== undefined) flips = flips.where('target', '=', query.target);
  const rows = await ctx.db.selectFrom(flips.as('f'))
    .select(['f.target', 'f.test_id'])
    .select((eb) => [eb.fn.countAll<number>().as('flips'), eb.fn.sum<number>('f.failures').as('failures'), eb.fn.max('f.last_seen').as('last_seen')])
    .groupBy(['f.target', 'f.test_id'])
    .orderBy('flips', 'desc').orderBy('failures', 'desc').orderBy('f.test_id')
    .limit(query.limit ?? 20)
    .execute();
  return rows.map((r) => ({ target: r.target, testId: r.test_id, flips: Number(r.flips), failures: Number(r.failures), lastSeen: Number(r.last_seen) }));
}

/** Of these tests, the ones known to be flaky on the target (for marking a report). */
export async function flakyAmong(ctx: StoreContext, target: string, testIds: readonly string[]): Promise<Map<string, number>> {
  if (testIds.length === 0) return new Map();
  const all = await listFlakyTests(ctx, { target, limit: 10_000 });
  const wanted = new Set(testIds);
  return new Map(all.filter((f) => wanted.has(f.testId)).map((f) => [f.testId, f.flips]));
}

/** The latest baseline of a target: the failing tests of its newest job with baseline results. */
export interface Baseline {
  readonly jobId: string;
  readonly runId: string;
  readonly recordedAt: number;
  readonly total: number;
  readonly failing: readonly string[];
}

export async function latestBaseline(ctx: StoreContext, target: string, content: string): Promise<Baseline | undefined> {
  const newest = await ctx.db.selectFrom('test_results').select(['job_id', 'attempt', 'run_id', 'recorded_at'])
    .where('target', '=', target).where('content', '=', content)
    .orderBy('recorded_at', 'desc').orderBy('job_id', 'desc').orderBy('attempt', 'desc').limit(1).executeTakeFirst();
  if (!newest) return undefined;
  const rows = await ctx.db.selectFrom('test_results').select(['test_id', 'status'])
    .where('job_id', '=', newest.job_id).where('attempt', '=', newest.attempt).orderBy('test_id').execute();
  return {
    jobId: newest.job_id, runId: newest.run_id, recordedAt: Number(newest.recorded_at), total: rows.length,
    failing: rows.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => r.test_id),
  };
}
