import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../src/cli/main.js';
import type { Io } from '../src/cli/io.js';
import { initUpdateRepo } from '../src/drivers/repo/layout.js';
import { jobKind } from '../src/engine/job-kind.js';
import type { JobSpec, RunInputs } from '../src/engine/job-spec.js';
import { openStore, type NewJob, type Store } from '../src/store/index.js';
import type { WebDeps } from '../src/web/deps.js';
import { readLadder } from '../src/web/ladder.js';
import { frontPage } from '../src/web/pages/front.js';
import { targetViews, unfinishedRuns } from '../src/web/queries.js';
import { PROJECT_ROOT } from '../test/helpers/paths.js';
import { postgres, stopPostgres } from '../test/helpers/postgres.js';
import { makeBenchSite, updateText, type BenchSite } from './bench-site.js';
import { profileCall, type ProfileSummary } from './profile.js';
import { describeSql, traceSql } from './sql-trace.js';
import { median, recordBench, round, startBench, type Figure } from './report.js';

/**
 * Store scale: 100,000 jobs in the store (10,000 phase1 runs of 10 jobs, written with the
 * store's own operations), then what `sluice status` asks (listRuns, limit 20; the whole
 * command in-process; the real executable) and what the front page asks (frontPage: the
 * target matrix, runs in progress, queue, ladder, recent runs), each against the same on a
 * store of 1,500 jobs with the same newest runs, in the same process. The newest runs went through real claims and
 * results, 20 are still open (8 jobs running, the rest queued); the bulk are runs whose
 * targets were disabled (jobs written skipped, the run settled and reported): the same rows
 * for the queries, at a fraction of the setup time.
 */
const BIG_RUNS = 10_000;
/** The baseline store: the same newest runs (real and open) on a short history. */
const SMALL_RUNS = 150;
const JOBS_PER_RUN = 10;
const SMALL_JOBS = (SMALL_RUNS * JOBS_PER_RUN).toLocaleString('en');
const REAL_RUNS = 100;
const OPEN_RUNS = 20;
const RUNNING_JOBS = 8;
const REPEAT = 11;
/** The executable starts Node each time: fewer rounds of it. */
const REPEAT_PROCESS = 5;
const GOAL_MS = 50;
const DAY = 86_400_000;
const KIND = jobKind('phase1/image', 'local');
/** Status commands and front pages traced (and, on the big SQLite store, profiled) in a row. */
const PROFILED = 5;

function jobSpec(updateId: string, target: string): JobSpec {
  const [release, dist] = target.split('/') as [string, string];
  return {
    pipeline: 'phase1', updateId, target, provider: 'local', mode: 'image', image: `img-${release}-${dist}`,
    modeBecause: 'the target has a known-good image and the update touches no must-provision package',
    builds: [{ id: `bench-${updateId}-1.0-1.${dist}`, repo: release, dist, source: 'koji', arch: 'noarch' }] as unknown as JobSpec['builds'],
    command: 'true', timeoutMs: 300_000, checks: [], productionRepo: `https://example.org/${target}/`,
  };
}

/** Runs `work(i)` for i in [from, to), `width` at a time (PostgreSQL's pool takes them side by side). */
async function inBatches(from: number, to: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < to) await work(next++);
  }));
}

/** Writes `runs` phase1 runs of JOBS_PER_RUN jobs, the newest last; returns how long it took. */
async function populate(store: Store, site: BenchSite, runs: number): Promise<number> {
  const started = performance.now();
  const start = Date.now() - 60 * DAY;
  const step = Math.floor((60 * DAY) / runs);
  const updateOf = (i: number) => `u${String(Math.floor(i / 2)).padStart(5, '0')}`;
  const runOf = (i: number) => `r${String(i).padStart(6, '0')}`;
  const targets = site.targets.slice(0, JOBS_PER_RUN);
  await inBatches(0, Math.ceil(runs / 2), 16, async (u) => {
    const id = updateOf(2 * u);
    await store.recordUpdate({ id, path: `updates/${id}.yml`, contentHash: `h${id}`, topic: id, author: 'Bench <bench@example.org>', data: { notes: `update ${id}` }, now: start + 2 * u * step });
  });
  const insert = async (i: number, skip: boolean) => {
    const updateId = updateOf(i);
    const inputs: RunInputs = {
      updateId, updateFile: `updates/${updateId}.yml`, contentHash: `h${updateId}`, content: updateText(updateId, targets),
      author: { name: 'Bench', email: 'bench@example.org' }, configFile: 'sluice.yaml', configHash: 'bench', plannedAt: start + i * step,
    };
    const jobs: NewJob[] = targets.map((t) => ({
      id: `${runOf(i)}.${t.replace('/', '_')}`, target: t, kind: KIND, maxAttempts: 3, spec: jobSpec(updateId, t), skipReason: skip ? `${t} is disabled: bench` : null,
    }));
    const r = await store.insertRunWithJobs({ run: { id: runOf(i), pipeline: 'phase1', updateId, inputs, reason: null }, jobs, now: start + i * step });
    if (!r.ok) throw new Error(`run ${runOf(i)}: ${r.code}`);
  };
  const bulk = runs - REAL_RUNS - OPEN_RUNS;
  await inBatches(0, bulk, 16, async (i) => {
    await insert(i, true);
    const at = start + i * step;
    const settled = await store.settleRun({ runId: runOf(i), now: at + 60_000 });
    if (!settled.ok) throw new Error(`run ${runOf(i)} not settled: ${settled.code}`);
    await store.markRunReported({ runId: runOf(i), now: at + 61_000 });
  });
  // Real runs one at a time, so the only queued jobs are the run's own: each is claimed,
  // then finished with a result (about one in seven fails).
  for (let i = bulk; i < bulk + REAL_RUNS; i++) {
    await insert(i, false);
    const at = start + i * step;
    for (let j = 0; j < targets.length; j++) {
      const claim = await store.claimJobWithLeases({ worker: 'bench', holder: 'bench#populate', now: at + 1000 + j, leaseMs: 3_600_000, kinds: [{ kind: KIND, leases: [] }] });
      if (!claim.ok) throw new Error(`run ${runOf(i)}: nothing to claim`);
      const failed = (i * 7 + j * 3) % 7 === 0;
      await store.finishJob({
        jobId: claim.job.id, worker: 'bench', now: at + 600_000 + j, result: failed ? 'failure' : 'success',
        reason: failed ? 'the test command exited with status 1' : 'the tests passed', node: 'local:bench', logPath: `/nonexistent/${claim.job.id}/job.log`,
      });
    }
    await store.markRunReported({ runId: runOf(i), now: at + 700_000 });
  }
  for (let i = bulk + REAL_RUNS; i < runs; i++) await insert(i, false);
  for (let j = 0; j < RUNNING_JOBS; j++) {
    const claim = await store.claimJobWithLeases({ worker: 'bench', holder: 'bench#populate', now: Date.now(), leaseMs: 3_600_000, kinds: [{ kind: KIND, leases: [] }] });
    if (!claim.ok) throw new Error('no open job to claim');
  }
  return performance.now() - started;
}

interface Timing { readonly median: number; readonly max: number }

async function time(fn: () => Promise<unknown>, repeat = REPEAT): Promise<Timing> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { median: median(ms), max: Math.max(...ms) };
}

interface Measured {
  readonly populateMs: number;
  readonly timings: Record<string, Timing>;
  readonly sql: Record<string, string>;
  /** Where the main thread's time went in PROFILED status commands and front pages. */
  readonly profiles: Record<string, ProfileSummary>;
  readonly rssMB: { afterPopulate: number; afterQueries: number };
  /** Rows one status command and one front page read. */
  readonly rows: Record<string, number>;
  readonly frontPageKB: number;
}

const mb = (bytes: number) => round(bytes / 2 ** 20);

/** The store at `url`, populated with `runs` runs, and every query timed. */
async function measure(site: BenchSite, url: string, runs: number, profile: boolean): Promise<Measured> {
  const store = await openStore(url);
  try {
    const populateMs = await populate(store, site, runs);
    const rssAfterPopulate = process.memoryUsage().rss;
    const deps: WebDeps = {
      store, site: { config: site.config, hash: 'bench', resolvePath: (p) => resolve(site.dir, p) },
      auth: { tokens: [], publicReads: true }, now: () => Date.now(), logger: false,
    };
    const repoPath = resolve(site.dir, site.config.update_repo);
    const io: Io = {
      cwd: site.dir, env: { SLUICE_STORE: url, SLUICE_USER: 'bench' }, stdoutIsTTY: false,
      out: () => undefined, err: (t) => { errors += t; },
      readStdin: () => new Uint8Array(), now: () => Date.now(),
    };
    let errors = '';
    const statusCommand = async () => { if (await main(['status'], io) !== 0) throw new Error(`sluice status failed: ${errors}`); };
    const statusProcess = async () => {
      const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'status'], { cwd: site.dir, env: { ...process.env, SLUICE_STORE: url }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`sluice status exited ${r.status}: ${r.stderr}`);
    };
    const page = await frontPage(deps);
    const timings: Record<string, Timing> = {
      'status: listRuns (limit 20)': await time(() => store.listRuns({ limit: 20 })),
      'status: the command in-process (open store, query, print)': await time(statusCommand),
      'status: the executable (node bin/sluice.js status)': await time(statusProcess, REPEAT_PROCESS),
      'front page: frontPage()': await time(() => frontPage(deps)),
      'front page part: target matrix (targetViews)': await time(() => targetViews(store, site.config, Date.now())),
      'front page part: runs in progress and queue (unfinishedRuns)': await time(() => unfinishedRuns(store)),
      'front page part: ladder (readLadder: git, activeRunOf)': await time(() => readLadder(store, repoPath)),
      'front page part: recent runs (listRuns, limit 12)': await time(() => store.listRuns({ limit: 12 })),
      'engine, per finished run: listUnreportedRuns': await time(() => store.listUnreportedRuns()),
      'engine, per finished job: listIdleControlledRuns': await time(() => store.listIdleControlledRuns()),
      'engine, per sweep: listStrandedRunIds': await time(() => store.listStrandedRunIds()),
    };
    const rssAfterQueries = process.memoryUsage().rss;
    const sql: Record<string, string> = {};
    const rows: Record<string, number> = {};
    const profiles: Record<string, ProfileSummary> = {};
    for (const [name, fn] of [['status', statusCommand], ['front page', () => frontPage(deps)]] as const) {
      const trace = traceSql();
      for (let i = 0; i < PROFILED; i++) await fn();
      const report = trace.stop();
      sql[name] = describeSql(report, PROFILED, 3);
      rows[name] = Math.round(report.rows / PROFILED);
      if (profile) profiles[name] = (await profileCall(async () => { for (let i = 0; i < PROFILED; i++) await fn(); })).profile;
    }
    // A claim among the open runs' queued jobs mutates the store, so it is timed last.
    const claims: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      // The worker's claim, with a node of a provider far from full.
      const c = await store.claimJobWithLeases({ worker: 'bench', holder: `bench#${i}`, now: Date.now(), leaseMs: 3_600_000, kinds: [{ kind: KIND, leases: [{ resource: 'provider:local', capacity: 1000 }] }] });
      claims.push(performance.now() - t);
      if (!c.ok) throw new Error('nothing left to claim');
    }
    timings['engine, per job: claimJobWithLeases'] = { median: median(claims), max: Math.max(...claims) };
    return {
      populateMs, timings, sql, profiles, rssMB: { afterPopulate: mb(rssAfterPopulate), afterQueries: mb(rssAfterQueries) }, rows, frontPageKB: round(page.length / 1024),
    };
  } finally {
    await store.close();
  }
}

const started = startBench();
const root = mkdtempSync(join(tmpdir(), 'sluice-bench-store-'));
try {
  console.log(`store-scale.bench: ${BIG_RUNS * JOBS_PER_RUN} jobs (${BIG_RUNS} runs × ${JOBS_PER_RUN}) vs ${SMALL_RUNS * JOBS_PER_RUN}; sluice status and the front page, median of ${REPEAT}`);
  const available = await postgres();
  if (!available.ok) console.log(`  PostgreSQL skipped: ${available.reason}`);
  const stores: [string, (dir: string) => Promise<string>][] = [
    ['SQLite', async (dir) => {
      mkdirSync(join(dir, '.sluice'), { recursive: true });
      return `sqlite:${join(dir, '.sluice', 'sluice.db')}`;
    }],
    ...(available.ok ? [['PostgreSQL', () => available.server.createDatabase()] as [string, (dir: string) => Promise<string>]] : []),
  ];
  // The floor under the executable: Node starting and loading the command line, no store.
  const startup = await time(async () => {
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), '--version'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sluice --version exited ${r.status}: ${r.stderr}`);
  }, REPEAT_PROCESS);
  console.log(`  node bin/sluice.js --version (starting Node and loading the command line): ${startup.median.toFixed(0)} ms`);
  const figures: Figure[] = [{ label: 'startup: node bin/sluice.js --version (no store)', value: round(startup.median), unit: 'ms' }];
  const notes: string[] = [];
  const details: Record<string, unknown> = {};
  for (const [name, urlFor] of stores) {
    const results: Measured[] = [];
    for (const runs of [SMALL_RUNS, BIG_RUNS]) {
      const dir = join(root, `${name}-${runs}`);
      const site = makeBenchSite(dir, { releases: 5, dists: 2, capacity: 4 });
      await initUpdateRepo(resolve(dir, site.config.update_repo));
      const m = await measure(site, await urlFor(dir), runs, runs === BIG_RUNS && name === 'SQLite');
      console.log(`  ${name}, ${runs * JOBS_PER_RUN} jobs: written in ${(m.populateMs / 1000).toFixed(1)} s; RSS ${m.rssMB.afterPopulate} MB after, ${m.rssMB.afterQueries} MB after the queries`);
      results.push(m);
    }
    const [small, big] = results as [Measured, Measured];
    for (const [what, t] of Object.entries(big.timings)) {
      const base = small.timings[what] as Timing;
      const goal = what.startsWith('status: listRuns') || what.startsWith('status: the command') || what === 'front page: frontPage()';
      console.log(`  ${name.padEnd(10)} ${what.padEnd(64)} ${t.median.toFixed(1).padStart(8)} ms (max ${t.max.toFixed(1)})   at ${SMALL_JOBS} jobs ${base.median.toFixed(1).padStart(7)} ms   ratio ${(t.median / base.median).toFixed(2)}`);
      figures.push({
        label: `store of 100,000 jobs, ${name}: ${what}`, value: round(t.median), unit: 'ms',
        ...(goal ? { goal: `< ${GOAL_MS} ms`, met: t.median < GOAL_MS } : {}),
      });
    }
    const front = (m: Measured) => (m.timings['front page: frontPage()'] as Timing).median;
    figures.push({ label: `store of 100,000 jobs, ${name}: front page / the same at ${SMALL_JOBS} jobs`, value: round(front(big) / front(small)), unit: 'x' });
    figures.push({ label: `store of 100,000 jobs, ${name}: RSS after the queries (at ${SMALL_JOBS} jobs: ${small.rssMB.afterQueries} MB)`, value: big.rssMB.afterQueries, unit: 'MB' });
    notes.push(`${name}: SQL of one \`sluice status\` (the command in-process): ${big.sql.status}`);
    notes.push(`${name}: SQL of one front page: ${big.sql['front page']}`);
    for (const [what, p] of Object.entries(big.profiles)) {
      notes.push(`${name}: main thread over ${PROFILED} ${what === 'status' ? 'status commands' : 'front pages'} at 100,000 jobs (${p.wallMs} ms under the sampler): ${p.activities.filter((a) => a.percent >= 1).map((a) => `${a.activity} ${a.percent}%`).join('; ')}`);
    }
    notes.push(`${name}: memory stays bounded because what is read is: a front page reads ${big.rows['front page']} rows at 100,000 jobs (${small.rows['front page']} at ${SMALL_JOBS}) and is ${big.frontPageKB} KB (${small.frontPageKB} KB), a status command reads ${big.rows.status} rows (${small.rows.status}); RSS after the queries ${big.rssMB.afterQueries} MB (${small.rssMB.afterQueries} MB). Writing the 100,000 jobs took ${(big.populateMs / 1000).toFixed(0)} s`);
    details[name] = {
      big: { ...big, timings: Object.fromEntries(Object.entries(big.timings).map(([k, v]) => [k, { median: round(v.median), max: round(v.max) }])) },
      small: { ...small, timings: Object.fromEntries(Object.entries(small.timings).map(([k, v]) => [k, { median: round(v.median), max: round(v.max) }])) },
    };
  }
  for (const n of notes) console.log(`  ${n}`);
  recordBench('store-scale', started, {
    title: 'Store scale',
    what: `${BIG_RUNS} phase1 runs of ${JOBS_PER_RUN} jobs (100,000 jobs) written with the store's operations: the newest ${REAL_RUNS} claimed and finished job by job, ${OPEN_RUNS} still open (${RUNNING_JOBS} jobs running, the rest queued), the rest with their targets disabled (jobs written skipped, runs settled and reported). Then, called in-process, what \`sluice status\` asks and what the front page asks (src/web/pages/front.ts), median of ${REPEAT} after one warm-up; each also on a store of ${SMALL_JOBS} jobs with the same newest runs, in the same process. The engine's own per-job and per-sweep queries at that size are given for context. Memory: the process's RSS.`,
    rerun: 'npx tsc -p . && node dist/bench/store-scale.bench.js',
    figures,
    notes,
    details,
  });
} finally {
  await stopPostgres();
  rmSync(root, { recursive: true, force: true });
}
