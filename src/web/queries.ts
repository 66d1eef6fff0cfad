import type { Config } from '../core/config.js';
import { batchOf, heldOf } from '../core/records/run-record.js';
import type { Job, JobResult, JobState, Pipeline, Run, RunState, RunVerdict, Store } from '../store/index.js';
import { cellState, type CellState } from './cell-state.js';
import { jobLabel } from './job-label.js';

/**
 * Read-only views the dashboard needs, composed from the Store's queries (the store has
 * no paging with filters nor counts by state). Each scans a bounded number of recent
 * runs, read with their jobs in one query; the bounds are the documented limits of the
 * dashboard (docs/web.md).
 */

/** How many of the newest runs a filtered page of runs looks through. */
export const RUN_SCAN = 2000;
/** How many of the newest runs the target matrix and the job search look at. */
export const RECENT_RUNS = 60;
/** How many unfinished runs the queue shows at most. */
export const UNFINISHED_SCAN = 500;

export interface RunFilter {
  readonly pipeline?: Pipeline | undefined;
  readonly state?: RunState | undefined;
  readonly verdict?: RunVerdict | undefined;
  readonly update?: string | undefined;
  readonly before?: string | undefined;
  readonly limit: number;
}

/** Newest first; `next` is the cursor (`before`) of the following page. */
export async function pageRuns(store: Store, f: RunFilter): Promise<{ items: Run[]; next: string | null }> {
  const scanned = await store.listRuns({ ...(f.update !== undefined ? { updateId: f.update } : {}), ...(f.state !== undefined && f.state !== 'finished' ? { unfinished: true } : {}), limit: RUN_SCAN });
  let runs = scanned.filter((r) => (f.pipeline === undefined || r.pipeline === f.pipeline) && (f.state === undefined || r.state === f.state) && (f.verdict === undefined || r.verdict === f.verdict));
  if (f.before !== undefined) {
    const at = runs.findIndex((r) => r.id === f.before);
    runs = at === -1 ? [] : runs.slice(at + 1);
  }
  const items = runs.slice(0, f.limit);
  return { items, next: runs.length > f.limit ? (items.at(-1)?.id ?? null) : null };
}

export interface RunWithJobs { readonly run: Run; readonly jobs: readonly Job[] }

export async function unfinishedRuns(store: Store): Promise<RunWithJobs[]> {
  return withJobs(store, await store.listRuns({ unfinished: true, limit: UNFINISHED_SCAN }));
}

export async function recentRuns(store: Store, limit = RECENT_RUNS): Promise<RunWithJobs[]> {
  return withJobs(store, await store.listRuns({ limit }));
}

/** The recent and the unfinished runs with their jobs, each run's jobs read once (most are both). */
export async function recentAndUnfinishedRuns(store: Store): Promise<{ recent: RunWithJobs[]; open: RunWithJobs[] }> {
  const [recent, open] = await Promise.all([store.listRuns({ limit: RECENT_RUNS }), store.listRuns({ unfinished: true, limit: UNFINISHED_SCAN })]);
  const jobs = await store.listJobsOfRuns([...recent, ...open].map((r) => r.id));
  const attach = (run: Run): RunWithJobs => ({ run, jobs: jobs.get(run.id) ?? [] });
  return { recent: recent.map(attach), open: open.map(attach) };
}

async function withJobs(store: Store, runs: readonly Run[]): Promise<RunWithJobs[]> {
  const jobs = await store.listJobsOfRuns(runs.map((r) => r.id));
  return runs.map((run) => ({ run, jobs: jobs.get(run.id) ?? [] }));
}

export interface JobFilter {
  readonly state?: JobState | undefined;
  readonly result?: JobResult | undefined;
  readonly target?: string | undefined;
}

export function filterJobs(jobs: readonly Job[], f: JobFilter): Job[] {
  return jobs.filter((j) => (f.state === undefined || j.state === f.state) && (f.result === undefined || j.result === f.result) && (f.target === undefined || j.target === f.target));
}

/** Jobs across runs: queued and running ones from every unfinished run, others from recent runs. */
export async function searchJobs(store: Store, f: JobFilter): Promise<Job[]> {
  const source = f.state === 'queued' || f.state === 'running' ? await unfinishedRuns(store) : await recentRuns(store);
  return filterJobs(source.flatMap((r) => r.jobs), f);
}

export interface TargetView {
  readonly target: string;
  readonly release: string;
  readonly dist: string;
  readonly provider: string;
  readonly image: string | null;
  readonly disabled: { readonly reason: string; readonly by: string; readonly since: number; readonly until: number | null } | null;
  readonly status: CellState;
  readonly last: {
    readonly runId: string;
    readonly jobId: string;
    readonly updateId: string | null;
    /** Of the job's run: only phase1 has an update id, so this tells what the others were. */
    readonly pipeline: Run['pipeline'];
    /** What the cell names the job by (job-label.ts). */
    readonly label: string;
    readonly at: number;
  } | null;
  readonly running: number;
  readonly queued: number;
}

/**
 * Each configured target with its disable, the newest job on it among recent runs (what
 * its matrix cell shows) and how many jobs run or wait on it now.
 */
export async function targetViews(
  store: Store,
  config: Config,
  now: number,
  runs?: { readonly recent: readonly RunWithJobs[]; readonly open: readonly RunWithJobs[] },
): Promise<TargetView[]> {
  const [targetStates, { recent, open }] = await Promise.all([store.listTargetStates(now), runs ?? recentAndUnfinishedRuns(store)]);
  const states = new Map(targetStates.map((s) => [s.target, s]));
  return Object.entries(config.targets).map(([target, t]) => {
    const [release = '', dist = ''] = target.split('/');
    const s = states.get(target);
    let newest: { job: Job; run: Run } | undefined;
    for (const { run, jobs } of recent) {
      for (const job of jobs) {
        if (job.target !== target) continue;
        const at = job.startedAt ?? job.createdAt;
        if (!newest || at > (newest.job.startedAt ?? newest.job.createdAt)) newest = { job, run };
      }
    }
    const openJobs = open.flatMap((r) => r.jobs).filter((j) => j.target === target);
    return {
      target, release, dist, provider: t.provider, image: t.image ?? null,
      disabled: s?.disabled ? { reason: s.reason, by: s.disabledBy, since: s.disabledAt, until: s.until } : null,
      status: cellState(newest?.job),
      last: newest ? {
        runId: newest.run.id, jobId: newest.job.id, updateId: newest.run.updateId, pipeline: newest.run.pipeline, label: jobLabel(newest.run, newest.job),
        at: newest.job.finishedAt ?? newest.job.startedAt ?? newest.job.createdAt,
      } : null,
      running: openJobs.filter((j) => j.state === 'running').length,
      queued: openJobs.filter((j) => j.state === 'queued').length,
    };
  });
}

/** Whether a run tested or moved an update: phase1 by its id, phase2 by its batch, promote by ready/. */
export function runTouches(run: Run, updateId: string): boolean {
  if (run.updateId === updateId) return true;
  return Boolean(batchOf(run)?.includes(updateId) || heldOf(run).some((h) => h.id === updateId));
}

export async function runsTouching(store: Store, updateId: string): Promise<Run[]> {
  const own = await store.listRuns({ updateId, limit: 200 });
  const others = (await store.listRuns({ limit: RUN_SCAN })).filter((r) => r.updateId === null && runTouches(r, updateId));
  return [...own, ...others].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
}
