/**
 * The figures `sluice simulate` prints, from what the store recorded of a simulated run:
 * plain data in, numbers out (times in ms).
 */
export interface RunRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  readonly verdict: string | null;
}

export interface JobRecord {
  readonly id: string;
  readonly runId: string;
}

/** One attempt of a job on a node: from its claim to its result (or its requeue for a retry). */
export interface Attempt {
  readonly jobId: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** True when the attempt ended in a retry (infra with attempts left). */
  readonly retried: boolean;
}

export interface Spread { readonly median: number; readonly p90: number; readonly max: number }

export interface SimStats {
  readonly updates: number;
  readonly jobs: number;
  readonly attempts: number;
  readonly retries: number;
  /** Runs without a verdict: a simulation that ends with some is broken. */
  readonly unfinished: number;
  readonly verdicts: Readonly<Record<string, number>>;
  /** First submission to last verdict. */
  readonly makespanMs: number;
  /** Submission to verdict, per update. */
  readonly latencyMs: Spread;
  /** First claim of a job minus its update's submission, averaged over jobs. */
  readonly meanQueueWaitMs: number;
  /** Node time of every attempt, retried ones included. */
  readonly busyMs: number;
  /** busy / (capacity × makespan). */
  readonly utilisation: number;
  /** No schedule could finish sooner: see `lowerBound`. */
  readonly lowerBoundMs: number;
  /** makespan / lower bound: 1 is perfect. */
  readonly ratio: number;
}

/** Nearest-rank quantile of a sorted list (q in (0, 1]); 0 for an empty one. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1] as number;
}

/**
 * A makespan no scheduler could beat with `capacity` nodes, given the work each job took:
 * an update's longest job cannot start before its submission, and the work submitted from
 * any submission time on cannot end before that time plus that work spread over every node.
 * Relative to the first submission.
 */
export function lowerBound(updates: readonly { submittedAt: number; jobWorkMs: readonly number[] }[], capacity: number): number {
  if (updates.length === 0) return 0;
  const sorted = [...updates].sort((a, b) => a.submittedAt - b.submittedAt);
  const t0 = (sorted[0] as { submittedAt: number }).submittedAt;
  let bound = 0;
  let workFromHere = 0;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const u = sorted[i] as (typeof sorted)[number];
    const work = u.jobWorkMs.reduce((a, b) => a + b, 0);
    workFromHere += work;
    bound = Math.max(bound, u.submittedAt - t0 + Math.max(0, ...u.jobWorkMs), u.submittedAt - t0 + workFromHere / capacity);
  }
  return bound;
}

export function simStats(input: { runs: readonly RunRecord[]; jobs: readonly JobRecord[]; attempts: readonly Attempt[]; capacity: number }): SimStats {
  const { runs, jobs, attempts, capacity } = input;
  const runOf = new Map(jobs.map((j) => [j.id, j.runId]));
  const submitted = new Map(runs.map((r) => [r.id, r.createdAt]));
  const finished = runs.filter((r) => r.finishedAt !== null);
  const t0 = Math.min(...runs.map((r) => r.createdAt));
  const tEnd = Math.max(t0, ...finished.map((r) => r.finishedAt as number));
  const makespanMs = runs.length === 0 ? 0 : tEnd - t0;
  const latencies = finished.map((r) => (r.finishedAt as number) - r.createdAt).sort((a, b) => a - b);
  const workOf = new Map<string, number>();
  const firstStart = new Map<string, number>();
  for (const a of attempts) {
    workOf.set(a.jobId, (workOf.get(a.jobId) ?? 0) + (a.endedAt - a.startedAt));
    firstStart.set(a.jobId, Math.min(firstStart.get(a.jobId) ?? Infinity, a.startedAt));
  }
  const busyMs = [...workOf.values()].reduce((a, b) => a + b, 0);
  const waits = [...firstStart].map(([job, start]) => start - (submitted.get(runOf.get(job) ?? '') ?? start));
  const byRun = new Map<string, number[]>(runs.map((r) => [r.id, []]));
  for (const j of jobs) byRun.get(j.runId)?.push(workOf.get(j.id) ?? 0);
  const lowerBoundMs = lowerBound(runs.map((r) => ({ submittedAt: r.createdAt, jobWorkMs: byRun.get(r.id) ?? [] })), capacity);
  const verdicts: Record<string, number> = {};
  for (const r of finished) verdicts[r.verdict ?? 'none'] = (verdicts[r.verdict ?? 'none'] ?? 0) + 1;
  return {
    updates: runs.length,
    jobs: jobs.length,
    attempts: attempts.length,
    retries: attempts.filter((a) => a.retried).length,
    unfinished: runs.length - finished.length,
    verdicts,
    makespanMs,
    latencyMs: { median: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), max: latencies.at(-1) ?? 0 },
    meanQueueWaitMs: waits.length === 0 ? 0 : waits.reduce((a, b) => a + b, 0) / waits.length,
    busyMs,
    utilisation: makespanMs === 0 ? 0 : busyMs / (capacity * makespanMs),
    lowerBoundMs,
    ratio: lowerBoundMs === 0 ? 1 : makespanMs / lowerBoundMs,
  };
}

/** The store's event log of jobs as attempts: each `job.started` paired with the next end of that job. */
export function attemptsFromEvents(events: readonly { at: number; kind: string; jobId: string | null; payload?: unknown }[]): Attempt[] {
  const open = new Map<string, number>();
  const out: Attempt[] = [];
  for (const e of events) {
    if (e.jobId === null) continue;
    if (e.kind === 'job.started') { open.set(e.jobId, e.at); continue; }
    // A final reclaim is followed by the job's `job.finished`, which ends the attempt.
    const p = e.payload;
    const finalReclaim = e.kind === 'job.reclaimed' && typeof p === 'object' && p !== null && 'final' in p && p.final === true;
    if (e.kind !== 'job.retried' && e.kind !== 'job.finished' && (e.kind !== 'job.reclaimed' || finalReclaim)) continue;
    const start = open.get(e.jobId);
    if (start === undefined) continue;
    open.delete(e.jobId);
    out.push({ jobId: e.jobId, startedAt: start, endedAt: e.at, retried: e.kind !== 'job.finished' });
  }
  return out;
}
