import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../src/store/index.js';
import { postgres, stopPostgres } from '../test/helpers/postgres.js';
import { bareSpawns, benchEngine, countingStore, makeBenchSite, submitUpdate } from './bench-site.js';
import { describeSql, traceSql, type SqlTraceReport } from './sql-trace.js';
import { median, recordBench, round, startBench, type Figure } from './report.js';

/**
 * Fan-out and fan-in: one update on 32 targets, from the call that submits it to its
 * collated verdict being reported, with the engine already running and idle (as `serve`
 * is when a change arrives) and a node for every child (capacity 32); against 32 bare
 * spawns of `/bin/sh -c true` started at once, in the same process. Rounds alternate the
 * two; the figure is the median of each round's difference.
 */
const CHILDREN = 32;
const ROUNDS = 9;
const GOAL_MS = 100;

interface Round { readonly bare: number; readonly engine: number; readonly submit: number; readonly toFirstStart: number; readonly lastEndToReport: number }

async function series(url: string, dir: string, trace: boolean): Promise<{ rounds: Round[]; sql?: SqlTraceReport; ops: string }> {
  const site = makeBenchSite(dir, { releases: 4, dists: 8, capacity: CHILDREN });
  const raw = await openStore(url);
  // Counting costs a closure per store call, nothing beside a child's milliseconds.
  const counting = countingStore(raw);
  const store: Store = counting.store;
  const waiting = new Map<string, () => void>();
  const engine = benchEngine(site, store, CHILDREN, (runId) => waiting.get(runId)?.());
  engine.start();
  const rounds: Round[] = [];
  let sql: SqlTraceReport | undefined;
  try {
    for (let r = 0; r <= ROUNDS; r++) {
      const bare = (await bareSpawns(CHILDREN, CHILDREN, dir)).ms;
      const id = `fan${r}`;
      const reported = new Promise<void>((resolve) => waiting.set(`run-${id}`, resolve));
      const tracer = trace && r === ROUNDS ? traceSql() : undefined;
      counting.reset();
      const start = performance.now();
      const wallStart = Date.now();
      const runId = await submitUpdate(site, store, id, site.targets, Date.now());
      const submit = performance.now() - start;
      engine.notify();
      await reported;
      const ms = performance.now() - start;
      sql = tracer?.stop() ?? sql;
      const wallEnd = Date.now();
      const jobs = await raw.listJobs(runId);
      if (jobs.length !== CHILDREN || jobs.some((j) => j.result !== 'success')) throw new Error(`run ${runId}: not ${CHILDREN} passing jobs`);
      // The store's times are whole milliseconds of the wall clock: enough to split 100 ms.
      const firstStart = Math.min(...jobs.map((j) => j.startedAt as number));
      const lastEnd = Math.max(...jobs.map((j) => j.finishedAt as number));
      // Round 0 warms the engine and the store's statements; it is not counted.
      if (r > 0) rounds.push({ bare, engine: ms, submit, toFirstStart: firstStart - wallStart, lastEndToReport: wallEnd - lastEnd });
    }
  } finally {
    await engine.stop();
    await raw.close();
  }
  // What the last round asked of the store (submission included), per child.
  const ops = [...counting.counts].sort((a, b) => b[1].calls - a[1].calls)
    .map(([name, c]) => `${name} ${round(c.calls / CHILDREN)}`).join(', ');
  return { rounds, ops, ...(sql ? { sql } : {}) };
}

function figuresOf(store: string, rounds: readonly Round[]): Figure[] {
  const over = median(rounds.map((r) => r.engine - r.bare));
  return [
    { label: `fan-out ${CHILDREN}, ${store}: submit to verdict, above bare spawn`, value: round(over), unit: 'ms', goal: `< ${GOAL_MS} ms`, met: over < GOAL_MS },
    { label: `fan-out ${CHILDREN}, ${store}: submit to verdict`, value: round(median(rounds.map((r) => r.engine))), unit: 'ms' },
    { label: `fan-out ${CHILDREN}, ${store}: bare spawn of ${CHILDREN}`, value: round(median(rounds.map((r) => r.bare))), unit: 'ms' },
    { label: `fan-out ${CHILDREN}, ${store}: of which submitPhase1 (parse, plan, insert)`, value: round(median(rounds.map((r) => r.submit))), unit: 'ms' },
    { label: `fan-out ${CHILDREN}, ${store}: submit to first child started`, value: round(median(rounds.map((r) => r.toFirstStart))), unit: 'ms' },
    { label: `fan-out ${CHILDREN}, ${store}: last child finished to verdict reported`, value: round(median(rounds.map((r) => r.lastEndToReport))), unit: 'ms' },
  ];
}

const started = startBench();
const root = mkdtempSync(join(tmpdir(), 'sluice-bench-fanout-'));
try {
  console.log(`fanout.bench: one run of ${CHILDREN} children (test command \`true\`), submit to reported verdict, engine idle beforehand, vs ${CHILDREN} bare spawns at once; ${ROUNDS} rounds`);
  const available = await postgres();
  if (!available.ok) console.log(`  PostgreSQL skipped: ${available.reason}`);
  const stores: [string, () => Promise<string>][] = [
    ['SQLite', async () => `sqlite:${join(root, 'sqlite', 'sluice.db')}`],
    ...(available.ok ? [['PostgreSQL', () => available.server.createDatabase()] as [string, () => Promise<string>]] : []),
  ];
  const figures: Figure[] = [];
  const notes: string[] = [];
  const details: Record<string, unknown> = {};
  for (const [name, url] of stores) {
    const { rounds, sql, ops } = await series(await url(), join(root, name.toLowerCase()), true);
    notes.push(`store operations per child of one run (${name}, last round): ${ops}`);
    const f = figuresOf(name, rounds);
    figures.push(...f);
    if (sql) notes.push(`SQL of one run of ${CHILDREN} (${name}, last round), per child: ${describeSql(sql, CHILDREN, 4)}`);
    details[name] = rounds.map((r) => ({ bare: round(r.bare), engine: round(r.engine), submit: round(r.submit), toFirstStart: r.toFirstStart, lastEndToReport: r.lastEndToReport }));
  }
  for (const f of figures) console.log(`  ${f.label.padEnd(70)} ${String(f.value).padStart(8)} ${f.unit}${f.goal ? `  (goal ${f.goal}: ${f.met ? 'met' : 'missed'})` : ''}`);
  for (const n of notes) console.log(`  ${n}`);
  recordBench('fanout', started, {
    title: 'Fan-out and fan-in',
    what: `One phase1 update on ${CHILDREN} targets (test command \`true\`), from the submitting call (submitPhase1, then the engine's wake-up) to its collated verdict being reported, the engine running and idle before, a local provider of capacity ${CHILDREN}; against ${CHILDREN} bare spawns of \`/bin/sh -c true\` at once with the same process-group options, in the same process. Median over ${ROUNDS} alternating rounds of (engine - bare); the first round warms up and is not counted.`,
    rerun: 'npx tsc -p . && node dist/bench/fanout.bench.js',
    figures,
    notes,
    details,
  });
} finally {
  await stopPostgres();
  rmSync(root, { recursive: true, force: true });
}
