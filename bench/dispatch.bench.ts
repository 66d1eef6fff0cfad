import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../src/store/index.js';
import { postgres, stopPostgres } from '../test/helpers/postgres.js';
import { bareSpawns, benchEngine, countingStore, makeBenchSite, submitUpdate } from './bench-site.js';
import { startProfile, type ProfileSummary } from './profile.js';
import { describeSql, traceSql, type SqlTraceReport } from './sql-trace.js';
import { median, recordBench, round, startBench, type Figure } from './report.js';

/**
 * Dispatch overhead: 1,000 phase1 runs of one job each, whose test command is `true`, go
 * through the real engine (leases, fair claims, the local provider's job directory and
 * process group, the attempt's analysis, the verdict and its report) on a durable store,
 * 16 at a time; against the same 1,000 bare `spawn('/bin/sh', ['-c', 'true'])` 16 at a
 * time in the same process. The runs are submitted before the clock starts: the figure is
 * from the engine's start to the 1,000th reported verdict. Rounds alternate baseline and
 * engine, so a neighbour's load hits both alike; each ratio is against the baseline just
 * before it, and the median of the rounds is kept.
 */
const N = 1000;
const CONCURRENCY = 16;
const ROUNDS = 2;
const GOAL = 1.5;

interface EngineRun {
  readonly ms: number;
  readonly cpuMs: number;
  readonly submitMs: number;
  readonly sql?: SqlTraceReport;
  readonly profile?: ProfileSummary;
  /** Store operations from the engine's start, by name. */
  readonly ops?: ReadonlyMap<string, { calls: number; ms: number }>;
}

/** What a run measures besides its time: every SQL statement, or the main thread and the store's operations. */
type Instrument = 'none' | 'sql' | 'profile';

async function engineRun(url: string, dir: string, instrument: Instrument = 'none'): Promise<EngineRun> {
  const site = makeBenchSite(dir, { releases: 1, dists: 1, capacity: CONCURRENCY });
  const raw = await openStore(url);
  const counting = instrument === 'profile' ? countingStore(raw) : undefined;
  const s: Store = counting?.store ?? raw;
  try {
    const submitStart = performance.now();
    for (let i = 0; i < N; i++) await submitUpdate(site, s, `u${String(i).padStart(4, '0')}`, site.targets, Date.now());
    const submitMs = performance.now() - submitStart;
    let reported = 0;
    let allReported!: () => void;
    const done = new Promise<void>((resolve) => { allReported = resolve; });
    const engine = benchEngine(site, s, CONCURRENCY, () => { if (++reported === N) allReported(); });
    // Tracing costs two clock reads a statement, next to nothing beside a job's 70 statements;
    // sampling costs more, so a profiled run is not a timed one. Both start with the engine.
    const trace = instrument === 'sql' ? traceSql() : undefined;
    const profiler = instrument === 'profile' ? await startProfile() : undefined;
    counting?.reset();
    const cpu = process.cpuUsage();
    const start = performance.now();
    engine.start();
    await withWatchdog(done, 600_000, () => `the engine reported ${reported} of ${N} runs in 10 minutes`);
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const sql = trace?.stop();
    const profile = await profiler?.stop();
    await engine.stop();
    const runs = await raw.listRuns({ limit: N + 1 });
    const passed = runs.filter((r) => r.verdict === 'pass').length;
    if (runs.length !== N || passed !== N) throw new Error(`expected ${N} passing runs, found ${passed} of ${runs.length}`);
    return { ms, cpuMs: (used.user + used.system) / 1000, submitMs, ...(sql ? { sql } : {}), ...(profile ? { profile, ops: counting?.counts } : {}) };
  } finally {
    await raw.close();
  }
}

function withWatchdog<T>(p: Promise<T>, ms: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const dog = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(why())), ms); });
  return Promise.race([p, dog]).finally(() => clearTimeout(timer));
}

interface Series { readonly store: string; readonly base: { ms: number; cpuMs: number }[]; readonly engine: EngineRun[] }

function figuresOf(s: Series): { figures: Figure[]; summary: Record<string, unknown> } {
  const ratios = s.engine.map((e, i) => e.ms / (s.base[i]?.ms as number));
  const ratio = median(ratios);
  const engineMs = median(s.engine.map((e) => e.ms));
  const baseMs = median(s.base.map((b) => b.ms));
  const overheadMs = median(s.engine.map((e, i) => (e.ms - (s.base[i]?.ms as number)) / N));
  return {
    figures: [
      { label: `dispatch, ${s.store}: engine / bare spawn`, value: round(ratio), unit: 'x', goal: `<= ${GOAL}x`, met: ratio <= GOAL },
      { label: `dispatch, ${s.store}: engine throughput`, value: round(N / (engineMs / 1000)), unit: 'jobs/s', key: true },
      { label: `dispatch, ${s.store}: bare spawn throughput`, value: round(N / (baseMs / 1000)), unit: 'jobs/s' },
      { label: `dispatch, ${s.store}: overhead per job (wall, ${CONCURRENCY} at a time)`, value: round(overheadMs), unit: 'ms', key: true },
      { label: `dispatch, ${s.store}: CPU per job (the whole process: main thread, libuv pool, GC), engine`, value: round(median(s.engine.map((e) => e.cpuMs / N))), unit: 'ms' },
      { label: `dispatch, ${s.store}: CPU per job (the whole process: main thread, libuv pool, GC), bare spawn`, value: round(median(s.base.map((b) => b.cpuMs / N))), unit: 'ms' },
      { label: `submit, ${s.store}: submitPhase1 (setup, untimed)`, value: round(median(s.engine.map((e) => N / (e.submitMs / 1000)))), unit: 'runs/s' },
    ],
    summary: { ratio: round(ratio), engineMs: Math.round(engineMs), baseMs: Math.round(baseMs), ratios: ratios.map((r) => round(r)) },
  };
}

const started = startBench();
const root = mkdtempSync(join(tmpdir(), 'sluice-bench-dispatch-'));
let dirs = 0;
const fresh = () => join(root, `site-${++dirs}`);
try {
  console.log(`dispatch.bench: ${N} one-job phase1 runs (test command \`true\`), ${CONCURRENCY} at a time, vs ${N} bare spawns ${CONCURRENCY} at a time; ${ROUNDS} rounds`);
  const available = await postgres();
  const pgUrl = available.ok ? () => available.server.createDatabase() : undefined;
  if (!available.ok) console.log(`  PostgreSQL skipped: ${available.reason}`);
  const series: Series[] = [{ store: 'SQLite', base: [], engine: [] }, ...(pgUrl ? [{ store: 'PostgreSQL', base: [], engine: [] }] : [])];
  const sql = new Map<string, SqlTraceReport>();
  await bareSpawns(100, CONCURRENCY, root);
  for (let r = 1; r <= ROUNDS; r++) {
    for (const s of series) {
      const dir = fresh();
      const base = await bareSpawns(N, CONCURRENCY, root);
      const url = s.store === 'SQLite' ? `sqlite:${join(dir, 'sluice.db')}` : await (pgUrl as () => Promise<string>)();
      // The last round also counts and times every SQL statement the dispatch sends.
      const e = await engineRun(url, dir, r === ROUNDS ? 'sql' : 'none');
      if (e.sql) sql.set(s.store, e.sql);
      s.base.push(base);
      s.engine.push(e);
      console.log(`  round ${r} ${s.store.padEnd(10)} bare ${base.ms.toFixed(0).padStart(6)} ms   engine ${e.ms.toFixed(0).padStart(6)} ms   ratio ${(e.ms / base.ms).toFixed(2)}   CPU per job (the whole process: main thread, libuv pool, GC): bare ${(base.cpuMs / N).toFixed(1)} ms, engine ${(e.cpuMs / N).toFixed(1)} ms`);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // One more SQLite run, not timed: where the main thread's time goes, how often the store is asked.
  const dir = fresh();
  const profiled = await engineRun(`sqlite:${join(dir, 'sluice.db')}`, dir, 'profile');
  const profile = profiled.profile as ProfileSummary;
  const ops = [...(profiled.ops ?? [])].sort((a, b) => b[1].calls - a[1].calls);
  const opsPerJob = ops.reduce((a, [, c]) => a + c.calls, 0) / N;
  const notes = [
    `store operations per job while dispatching (SQLite, profiled run), each one transaction or query: ${round(opsPerJob)} — ${ops.filter(([, c]) => c.calls / N >= 0.01).map(([name, c]) => `${name} ${round(c.calls / N)}`).join(', ')}`,
    ...[...sql].map(([store, t]) => `SQL per job, ${store} (last round): ${describeSql(t, N)}`),
    `main thread of the profiled SQLite run (${(profiled.ms / 1000).toFixed(1)} s under the sampler): ${profile.activities.map((a) => `${a.activity} ${a.percent}%`).join('; ')}`,
    `most self time: ${profile.topFunctions.slice(0, 6).map((f) => `${f.fn} ${f.percent}%`).join('; ')}`,
  ];
  for (const n of notes) console.log(`  ${n}`);
  const per = series.map(figuresOf);
  for (const p of per) for (const f of p.figures) console.log(`  ${f.label.padEnd(60)} ${String(f.value).padStart(8)} ${f.unit}${f.goal ? `  (goal ${f.goal}: ${f.met ? 'met' : 'missed'})` : ''}`);
  recordBench('dispatch', started, {
    title: 'Dispatch overhead',
    what: `${N} phase1 runs of one job each (test command \`true\`) through the engine on a durable store (a SQLite file in WAL mode; PostgreSQL from test/helpers/postgres.ts, a throwaway cluster with fsync off), ${CONCURRENCY} at a time (a local provider of capacity ${CONCURRENCY}), from the engine's start to the ${N}th reported verdict; against ${N} bare spawns of \`/bin/sh -c true\` ${CONCURRENCY} at a time with the same process-group options, in the same process. Each ratio is against the baseline run just before it; median of ${ROUNDS} rounds.`,
    rerun: 'npx tsc -p . && node dist/bench/dispatch.bench.js',
    figures: per.flatMap((p) => p.figures),
    notes,
    details: {
      rounds: Object.fromEntries(series.map((s, i) => [s.store, per[i]?.summary])),
      profile,
      storeOpsPerJob: Object.fromEntries(ops.map(([k, c]) => [k, round(c.calls / N)])),
      sqlPerJob: Object.fromEntries([...sql].map(([store, t]) => [store, {
        statements: round(t.statements / N), prepareMs: round(t.prepareMs / N),
        top: t.byStatement.slice(0, 12).map((x) => ({ sql: x.sql, perJob: round(x.calls / N), msPerJob: round(x.ms / N) })),
      }])),
    },
  });
} finally {
  await stopPostgres();
  rmSync(root, { recursive: true, force: true });
}
