import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Cron } from 'croner';
import { formatDuration, parseDuration } from '../core/duration.js';
import { LADDER_DEFAULTS, RDO_2015_REFERENCE, ladderSummary, simulateLadder, type LadderResult, type LadderSummary } from './ladder.js';
import { formatProblem } from '../core/problem.js';
import { attemptsFromEvents, simStats, type SimStats } from './stats.js';
import { DIST_ALIASES, parseTraffic, simulationConfig, simulationConfigText, syntheticBurst, updateFileFor, type Submission } from './traffic.js';
import { keyedRandom } from './prng.js';
import { SIM_DEFAULTS, simProvider } from './provider.js';
import { Engine } from '../engine/engine.js';
import type { NodeProvider } from '../engine/node-provider.js';
import { sha256 } from '../engine/hash.js';
import { submitPhase1 } from '../engine/submit-phase1.js';
import { VirtualClock } from './virtual-clock.js';
import { INFRA_RETRY_BACKOFF_MS, openStore, type Run, type StoredEvent } from '../store/index.js';
import { CliExit, EXIT } from '../cli/exit.js';
import type { Io } from '../cli/io.js';

/** Where the recorded RDO traffic sits beside a checkout (public sample data). */
const SAMPLE = join('..', 'shared', 'samples', 'rdo-traffic.jsonl');
const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/**
 * Virtual-time engine settings. Wake hints start a job the moment a node frees or an update
 * arrives, and the simulation wakes the worker when an infra retry's back-off ends (see
 * `wakeOnRetry`), so the poll, a fallback against lost hints, is never what starts a job
 * here. Each poll costs real time: a year of traffic polled once a minute took three
 * minutes a capacity; every six hours, the heartbeats of running jobs are most of the
 * steps and a capacity takes seconds.
 */
export const SIM_ENGINE = { leaseMs: 10 * 60_000, pollMs: 6 * 3_600_000, sweepEveryMs: 6 * 3_600_000, retryBackoffMs: INFRA_RETRY_BACKOFF_MS } as const;

export interface SimulationOptions {
  readonly submissions: readonly Submission[];
  readonly capacity: number;
  readonly seed: number;
  readonly bootMs?: number;
  readonly provisionMs?: number;
  readonly testMs?: number;
  readonly red?: number;
  readonly infra?: number;
  /** The test time's jitter either way (share of --test); default 0.25. */
  readonly testJitter?: number;
  /**
   * Where nodes come from: 'image' (default) boots every job from its target's known-good
   * image unless the update touches a must-provision package, as Sluice plans; 'provision'
   * provisions every job from scratch, as if no target had an image.
   */
  readonly nodes?: 'image' | 'provision';
}

export interface SimulationResult {
  readonly capacity: number;
  readonly stats: SimStats;
  /** Jobs whose node was provisioned from scratch (the others booted from an image). */
  readonly provisioned: number;
  /** Submissions the engine refused (as `sluice submit` would), with why. */
  readonly rejected: readonly string[];
  readonly runs: readonly Run[];
  readonly realMs: number;
}

/**
 * One simulation: a fresh in-memory store, a virtual clock starting at the first
 * submission, and the real engine, submission and store code on simulated nodes.
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const realStart = performance.now();
  const subs = o.submissions;
  const first = subs[0];
  if (!first) throw new CliExit(EXIT.usage, 'no traffic to simulate', 'E_USAGE');
  const store = await openStore('sqlite::memory:');
  try {
    const configText = simulationConfigText(subs, { capacity: o.capacity });
    const config = simulationConfig(subs, { capacity: o.capacity });
    // No known-good image anywhere: the planner provisions every job, saying why.
    const images = o.nodes === 'provision' ? new Map(Object.keys(config.targets).map((t) => [t, null])) : undefined;
    const clock = new VirtualClock(first.submittedAt);
    const provider = wakeOnRetry(clock, () => engine.notify(), simProvider({
      clock, capacity: o.capacity, seed: o.seed, bootMs: o.bootMs, provisionMs: o.provisionMs, testMs: o.testMs, red: o.red, infra: o.infra, testJitter: o.testJitter,
    }));
    const accepted: string[] = [];
    const rejected: string[] = [];
    let reported = 0;
    let allSubmitted = false;
    let finish!: () => void;
    const done = new Promise<void>((r) => { finish = r; });
    const checkDone = () => { if (allSubmitted && reported >= accepted.length) finish(); };
    const engine = new Engine({
      store, providers: [provider], clock, workerId: 'sim', ...SIM_ENGINE,
      reporters: [{ report: async () => { reported++; checkDone(); } }],
    });
    engine.start();
    const submitter = (async () => {
      for (const s of subs) {
        await clock.sleep(s.submittedAt - clock.now());
        const result = await submitPhase1({
          store, config, configHash: sha256(configText), file: `updates/${s.id}.yml`, bytes: new TextEncoder().encode(updateFileFor(s)),
          author: { name: 'sluice simulate', email: 'simulate@sluice.invalid' }, now: clock.now(), runId: `sim-${s.id}`, ...(images ? { images } : {}),
        });
        if (result.ok) accepted.push(result.runId);
        else rejected.push(`${s.id}: ${result.problems.map(formatProblem).join('; ')}`);
        engine.notify();
      }
      allSubmitted = true;
      checkDone();
    })();
    await clock.runUntil(Promise.all([submitter, done]));
    await clock.runUntil(engine.stop());
    const runs = (await Promise.all(accepted.map((id) => store.getRun(id)))).filter((r): r is Run => r !== undefined);
    const jobs = (await Promise.all(accepted.map((id) => store.listJobs(id)))).flat();
    const stats = simStats({
      runs: runs.map((r) => ({ id: r.id, createdAt: r.createdAt, finishedAt: r.finishedAt, verdict: r.verdict })),
      jobs: jobs.map((j) => ({ id: j.id, runId: j.runId })),
      attempts: attemptsFromEvents(await allEvents(store)),
      capacity: o.capacity,
    });
    const provisioned = jobs.filter((j) => (j.spec as { mode?: string } | null)?.mode === 'provision').length;
    return { capacity: o.capacity, stats, provisioned, rejected, runs, realMs: performance.now() - realStart };
  } finally {
    await store.close();
  }
}

/**
 * A real worker polls every second, so a job requeued for an infra retry starts within a
 * second of its back-off ending; with the long virtual poll it would wait up to an hour.
 * The store sets the back-off (retryBackoffMs times the attempts spent): wake the worker
 * when it ends, as a poll would have.
 */
function wakeOnRetry(clock: VirtualClock, wake: () => void, provider: NodeProvider): NodeProvider {
  return {
    name: provider.name,
    capacity: provider.capacity,
    async execute(ex) {
      const outcome = await provider.execute(ex);
      if (outcome.result === 'infra') void clock.sleep(SIM_ENGINE.retryBackoffMs * ex.attempt).then(wake);
      return outcome;
    },
  };
}

async function allEvents(store: { listEvents(q: { afterSeq?: number; limit?: number }): Promise<StoredEvent[]> }): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (;;) {
    const page = await store.listEvents({ afterSeq: out.at(-1)?.seq ?? 0, limit: 5000 });
    out.push(...page);
    if (page.length < 5000) return out;
  }
}

/**
 * The scheduling policies `--policy` compares on the same traffic, seed and dice:
 * - v0.1: one phase1 at a time (capacity 1 whatever --capacity says), every job booted from
 *   a snapshot image, except that an update touching a must-provision package provisions;
 * - always-provision: every job provisioned from scratch (no images), at each capacity;
 * - sluice: images where fresh (always, here), provisioning only for must-provision
 *   packages, at each capacity. On one node it is v0.1's schedule.
 */
export const POLICIES = ['v0.1', 'always-provision', 'sluice'] as const;
export type Policy = (typeof POLICIES)[number];

export interface PolicyRow {
  readonly policy: Policy;
  readonly result: SimulationResult;
}

/**
 * One simulation per policy and capacity (v0.1 only at capacity 1), in the order given. Two
 * rows that are the same simulation (v0.1 and sluice on one node) share one run.
 */
export async function runPolicies(base: Omit<SimulationOptions, 'capacity' | 'nodes'>, policies: readonly Policy[], capacities: readonly number[]): Promise<PolicyRow[]> {
  const runs = new Map<string, SimulationResult>();
  const rows: PolicyRow[] = [];
  for (const policy of policies) {
    const nodes = policy === 'always-provision' ? 'provision' : 'image';
    for (const capacity of policy === 'v0.1' ? [1] : capacities) {
      const key = `${nodes}/${capacity}`;
      let result = runs.get(key);
      if (!result) {
        result = await runSimulation({ ...base, capacity, nodes });
        runs.set(key, result);
      }
      rows.push({ policy, result });
    }
  }
  return rows;
}

export interface LadderSettings {
  readonly phase2Schedule: string;
  readonly promoteSchedule: string;
  /** A phase2 job: provisioning from scratch plus the tests (no jitter). */
  readonly phase2RoundMs: number;
  readonly culpritRate: number;
  /** Null: a culprit is dropped. */
  readonly fixDelayMs: number | null;
}

export interface LadderFigures {
  readonly result: LadderResult;
  readonly summary: LadderSummary;
  /**
   * The same figures over the updates the real process pushed in 2015 (`final: pushed` in
   * the traffic): the population of the real 2015 figure; null when the traffic does not say.
   */
  readonly pushed: LadderSummary | null;
}

/**
 * The rest of the ladder after a phase1 simulation: each update enters updates/ when its
 * phase1 run passed (at the run's verdict), and the pure ladder model takes it from there,
 * on as many nodes as phase1 had. Its draws are keyed by the seed and the update, like
 * phase1's, so every capacity sees the same culprits.
 */
export function simulateLadderAfter(subs: readonly Submission[], phase1: SimulationResult, l: LadderSettings, seed: number): LadderFigures {
  const runOf = new Map(phase1.runs.map((r) => [r.id, r]));
  const result = simulateLadder(subs.map((s) => {
    const run = runOf.get(`sim-${s.id}`);
    return {
      id: s.id, submittedAt: s.submittedAt,
      mergedAt: run?.verdict === 'pass' ? run.finishedAt : null,
      targets: s.targets.map((t) => { const [r, d] = t.split('/') as [string, string]; return `${r}/${DIST_ALIASES[d] ?? d}`; }),
    };
  }), {
    capacity: phase1.capacity, phase2Schedule: l.phase2Schedule, promoteSchedule: l.promoteSchedule, phase2RoundMs: l.phase2RoundMs,
    culpritRate: l.culpritRate, fixDelayMs: l.fixDelayMs, random: (key) => keyedRandom(seed, 'ladder', key)(),
  });
  const pushed = subs.some((s) => s.final !== undefined) ? new Set(subs.filter((s) => s.final === 'pushed').map((s) => s.id)) : null;
  return { result, summary: ladderSummary(result), pushed: pushed ? ladderSummary(result, pushed) : null };
}

interface SimulateCliOptions {
  traffic?: string; burst?: string; over?: string; capacity?: string; provision?: string; boot?: string; test?: string;
  red?: string; infra?: string; seed?: string; json?: boolean; policy?: string;
  phase2Schedule?: string; promoteSchedule?: string; culpritRate?: string; fixDelay?: string;
}

export function registerSimulate(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('simulate')
    .description('replay update traffic through the real engine in simulated time, at several capacities, and print the figures')
    .option('--traffic <file>', `recorded traffic, one JSON object a line (default: ${SAMPLE} if present, else --burst 60)`)
    .option('--burst <n>', 'simulate n synthetic updates instead of recorded traffic')
    .option('--over <duration>', 'spread the burst over this long', '1d')
    .option('--capacity <list>', 'node capacities to compare, comma-separated', '1,2,4,8')
    .option('--provision <duration>', 'time to provision a node from scratch', formatDuration(SIM_DEFAULTS.provisionMs))
    .option('--boot <duration>', 'time to boot a node from a known-good image', formatDuration(SIM_DEFAULTS.bootMs))
    .option('--test <duration>', 'time to install the update and run the tests (±25% jitter)', formatDuration(SIM_DEFAULTS.testMs))
    .option('--red <p>', 'probability that an update fails on a given target', String(SIM_DEFAULTS.red))
    .option('--infra <p>', 'probability that a node request fails (retried on a fresh node)', String(SIM_DEFAULTS.infra))
    .option('--phase2-schedule <cron>', 'when phase2 fires (UTC); a phase2 job takes --provision + --test', LADDER_DEFAULTS.phase2Schedule)
    .option('--promote-schedule <cron>', `when promote fires (UTC); it takes ${formatDuration(LADDER_DEFAULTS.promoteMs)} (stage test + sync)`, LADDER_DEFAULTS.promoteSchedule)
    .option('--culprit-rate <p>', 'probability that an update breaks phase2 each time it enters updates/', String(LADDER_DEFAULTS.culpritRate))
    .option('--fix-delay <duration>', 'how long a packager takes to fix a culprit before it re-enters updates/ ("never": dropped)', formatDuration(LADDER_DEFAULTS.fixDelayMs))
    .option('--policy <list>', `scheduling policies to compare on the same traffic, comma-separated: ${POLICIES.join(', ')} (v0.1 runs on one node)`, 'sluice')
    .option('--seed <n>', 'seed of every random draw: same seed, same figures', '1')
    .option('--json', 'print the figures as JSON')
    .action(async (opts: SimulateCliOptions) => setStatus(await simulate(io, opts)));
}

export async function simulate(io: Io, opts: SimulateCliOptions): Promise<number> {
  const seed = integer(opts.seed ?? '1', '--seed', 0);
  const capacities = (opts.capacity ?? '1,2,4,8').split(',').map((c) => integer(c.trim(), '--capacity', 1));
  const { submissions, source } = loadTraffic(io, opts, seed);
  const base = {
    submissions, seed,
    provisionMs: duration(opts.provision, '--provision'), bootMs: duration(opts.boot, '--boot'), testMs: duration(opts.test, '--test'),
    red: probability(opts.red, '--red'), infra: probability(opts.infra, '--infra'),
  };
  const ladder: LadderSettings = {
    phase2Schedule: cron(opts.phase2Schedule ?? LADDER_DEFAULTS.phase2Schedule, '--phase2-schedule'),
    promoteSchedule: cron(opts.promoteSchedule ?? LADDER_DEFAULTS.promoteSchedule, '--promote-schedule'),
    phase2RoundMs: (base.provisionMs ?? SIM_DEFAULTS.provisionMs) + (base.testMs ?? SIM_DEFAULTS.testMs),
    culpritRate: probability(opts.culpritRate, '--culprit-rate') ?? LADDER_DEFAULTS.culpritRate,
    fixDelayMs: opts.fixDelay?.trim() === 'never' ? null : duration(opts.fixDelay, '--fix-delay') ?? LADDER_DEFAULTS.fixDelayMs,
  };
  const policies = policyList(opts.policy ?? 'sluice');
  const rows = await runPolicies(base, policies, capacities);
  // The ladder follows Sluice's phase1: its figures are those of the sluice rows.
  const results = rows.filter((r) => r.policy === 'sluice').map((r) => r.result);
  const ladders = results.map((r) => simulateLadderAfter(submissions, r, ladder, seed));
  if (opts.json) {
    io.out(`${JSON.stringify({
      source, updates: submissions.length, seed,
      ladder: { ...ladder, promoteMs: LADDER_DEFAULTS.promoteMs, maxFixes: LADDER_DEFAULTS.maxFixes, timezone: LADDER_DEFAULTS.timezone },
      reference: RDO_2015_REFERENCE,
      results: results.map(({ runs: _runs, ...r }, i) => ({ ...r, ladder: { all: ladders[i]?.summary, pushedIn2015: ladders[i]?.pushed } })),
      policies: rows.map(policyFigures),
    }, null, 2)}\n`);
  } else {
    io.out(`${source}: ${submissions.length} updates from ${iso(submissions[0]?.submittedAt)} to ${iso(submissions.at(-1)?.submittedAt)}, seed ${seed}\n`);
    if (policies.length === 1 && policies[0] === 'sluice') {
      io.out(formatTable(results));
      io.out(formatLadder(results, ladders, ladder));
    } else {
      io.out(formatPolicies(rows));
    }
    for (const why of rows[0]?.result.rejected ?? []) io.err(`rejected ${why}\n`);
  }
  return rows.every((r) => r.result.stats.unfinished === 0) ? EXIT.ok : EXIT.error;
}

function policyList(text: string): Policy[] {
  const list = text.split(',').map((p) => p.trim());
  for (const p of list) {
    if (!(POLICIES as readonly string[]).includes(p)) throw new CliExit(EXIT.usage, `--policy wants a list of ${POLICIES.join(', ')}, not "${p}"`, 'E_USAGE');
  }
  return [...new Set(list)] as Policy[];
}

export interface PolicyFigures {
  readonly policy: Policy;
  readonly capacity: number;
  readonly updates: number;
  readonly jobs: number;
  readonly provisioned: number;
  readonly makespanMs: number;
  /** Submission to phase1 verdict, per update (nearest-rank quantiles). */
  readonly timeToVerdictMs: { readonly median: number; readonly p90: number; readonly max: number };
  readonly utilisation: number;
  readonly verdicts: Readonly<Record<string, number>>;
  readonly unfinished: number;
  readonly realMs: number;
}

export function policyFigures({ policy, result: r }: PolicyRow): PolicyFigures {
  const s = r.stats;
  return {
    policy, capacity: r.capacity, updates: s.updates, jobs: s.jobs, provisioned: r.provisioned, makespanMs: s.makespanMs,
    timeToVerdictMs: { ...s.latencyMs }, utilisation: s.utilisation, verdicts: s.verdicts, unfinished: s.unfinished, realMs: r.realMs,
  };
}

const POLICY_HEADER = ['policy', 'capacity', 'updates', 'jobs', 'provisioned', 'makespan', 'median', 'p90', 'max', 'util', 'real'];

/** One row per policy and capacity, then the closing note: makespans and times to verdict side by side. */
export function formatPolicies(rows: readonly PolicyRow[]): string {
  const cells = rows.map(policyFigures).map((f) => [
    f.policy, String(f.capacity), String(f.updates), String(f.jobs), String(f.provisioned), human(f.makespanMs),
    human(f.timeToVerdictMs.median), human(f.timeToVerdictMs.p90), human(f.timeToVerdictMs.max), `${(100 * f.utilisation).toFixed(1)}%`,
    `${(f.realMs / 1000).toFixed(1)}s`,
  ]);
  const widths = POLICY_HEADER.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (c: readonly string[]) => `${c.map((x, i) => (i === 0 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ')}\n`;
  const v01 = rows.find((r) => r.policy === 'v0.1')?.result;
  const notes = [...new Set(rows.filter((r) => r.policy !== 'v0.1').map((r) => r.result.capacity))].map((capacity) => {
    const at = (p: Policy) => rows.find((r) => r.policy === p && r.result.capacity === capacity)?.result;
    const parts = (['sluice', 'always-provision'] as const).flatMap((p) => {
      const r = at(p);
      return r ? [`${p} ${human(r.stats.makespanMs)}, ${human(r.stats.latencyMs.median)}/${human(r.stats.latencyMs.p90)}`] : [];
    });
    return `  on ${capacity} node${capacity === 1 ? '' : 's'}: ${parts.join('; ')}\n`;
  });
  return `${line(POLICY_HEADER)}${cells.map(line).join('')}` +
    'v0.1: one phase1 at a time, booted from snapshots (must-provision packages provisioned); always-provision: every job provisioned ' +
    'from scratch; sluice: images where fresh, provisioning only for must-provision packages\n' +
    'makespan: first submission to last verdict; median/p90/max: submission to phase1 verdict; provisioned: jobs provisioned from scratch; ' +
    'util: node busy time / (capacity x makespan)\n' +
    'makespan, median/p90 to verdict:\n' +
    (v01 ? `  v0.1 (one node): ${human(v01.stats.makespanMs)}, ${human(v01.stats.latencyMs.median)}/${human(v01.stats.latencyMs.p90)}\n` : '') +
    notes.join('');
}

function loadTraffic(io: Io, opts: SimulateCliOptions, seed: number): { submissions: Submission[]; source: string } {
  if (opts.traffic !== undefined && opts.burst !== undefined) throw new CliExit(EXIT.usage, 'pass --traffic or --burst, not both', 'E_USAGE');
  const file = opts.traffic ?? (opts.burst === undefined ? [resolve(io.cwd, SAMPLE), resolve(PROJECT_ROOT, SAMPLE)].find((f) => existsSync(f)) : undefined);
  if (file === undefined) {
    const count = integer(opts.burst ?? '60', '--burst', 1);
    const overMs = duration(opts.over ?? '1d', '--over') as number;
    // A fixed start keeps the printed times, like every other figure, a function of the seed.
    const submissions = syntheticBurst({ count, overMs, start: Date.UTC(2015, 5, 1) }, keyedRandom(seed, 'burst'));
    return { submissions, source: `synthetic burst of ${count} over ${formatDuration(overMs)}` };
  }
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliExit(EXIT.failed, `cannot read ${file}: ${(e as Error).message}`, 'E_FILE_UNREADABLE');
  }
  const parsed = parseTraffic(text, opts.traffic ?? SAMPLE);
  if (parsed.problems.length > 0) {
    for (const p of parsed.problems) io.err(`${formatProblem(p)}\n`);
    throw new CliExit(EXIT.failed, `${parsed.problems.length} bad line(s) in ${file}`, 'E_UPDATE_INVALID');
  }
  return { submissions: [...parsed.submissions], source: opts.traffic ?? SAMPLE };
}

const HEADER = ['capacity', 'updates', 'jobs', 'retries', 'makespan', 'median', 'p90', 'max', 'queue', 'util', 'bound', 'ratio', 'real'];

export function formatTable(results: readonly SimulationResult[]): string {
  const rows = results.map(({ capacity, stats: s, realMs }) => [
    String(capacity), String(s.updates), String(s.jobs), String(s.retries), human(s.makespanMs), human(s.latencyMs.median),
    human(s.latencyMs.p90), human(s.latencyMs.max), human(s.meanQueueWaitMs), `${(100 * s.utilisation).toFixed(1)}%`,
    human(s.lowerBoundMs), s.ratio.toFixed(2), `${(realMs / 1000).toFixed(1)}s`,
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => `${cells.map((c, i) => c.padStart(widths[i] as number)).join('  ')}\n`;
  const verdicts = results[0] ? Object.entries(results[0].stats.verdicts).map(([v, n]) => `${n} ${v}`).join(', ') : '';
  return `${line(HEADER)}${rows.map(line).join('')}verdicts (capacity ${results[0]?.capacity}): ${verdicts}\n` +
    'median/p90/max: submission to verdict; queue: mean wait for a node; util: node busy time / (capacity x makespan); ' +
    'bound: no schedule finishes sooner; real: wall-clock time of the simulation\n';
}

const LADDER_HEADER = ['capacity', 'merged', 'ready', 'prod', 'ready-med', 'ready-p90', 'prod-med', 'prod-p90', 'pushed', 'pushed-med', 'pushed-p90', 'phase2', 'coalesced', 'bisect', 'culprits', 'dropped', 'promotes'];

/** The whole ladder, per capacity, beside RDO's real figure for 2015. */
export function formatLadder(results: readonly SimulationResult[], ladders: readonly LadderFigures[], l: LadderSettings): string {
  const rows = ladders.map(({ summary: s, pushed: p }, i) => [
    String(results[i]?.capacity), String(s.merged), String(s.ready), String(s.production),
    days(s.toReadyMs.median, s.ready), days(s.toReadyMs.p90, s.ready), days(s.toProductionMs.median, s.production), days(s.toProductionMs.p90, s.production),
    p ? String(p.production) : '-', p ? days(p.toProductionMs.median, p.production) : '-', p ? days(p.toProductionMs.p90, p.production) : '-',
    String(s.phase2Runs), String(s.coalesced), String(s.bisectionRounds), String(s.culprits), String(s.dropped), String(s.promotes),
  ]);
  const widths = LADDER_HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => `${cells.map((c, i) => c.padStart(widths[i] as number)).join('  ')}\n`;
  const ref = RDO_2015_REFERENCE;
  return `\nthe ladder after phase1: phase2 "${l.phase2Schedule}", a job ${formatDuration(l.phase2RoundMs)} (provision + test); ` +
    `promote "${l.promoteSchedule}", ${formatDuration(LADDER_DEFAULTS.promoteMs)} (stage test + sync); times UTC; ` +
    `culprit rate ${l.culpritRate}, fix delay ${l.fixDelayMs === null ? 'never (dropped)' : formatDuration(l.fixDelayMs)}\n` +
    `${line(LADDER_HEADER)}${rows.map(line).join('')}` +
    'ready/prod: submission to ready/ and to production, in days (median, p90 over the updates that got there); ' +
    'pushed: the same to production over the updates RDO really pushed in 2015; bisect: phase2 rounds after the first; ' +
    'coalesced: phase2 runs started at the end of one a firing fell during; dropped: culprits given up on\n' +
    `reference, RDO 2015 (a manual process): median ${ref.medianDays}d, p90 ${ref.p90Days}d from \`${ref.from}\` to \`${ref.to}\`, ` +
    `${ref.source}\n`;
}

/** Days with one decimal, as the 2015 figures are given; '-' when no update got there. */
function days(ms: number, count: number): string {
  return count === 0 ? '-' : `${(ms / 86_400_000).toFixed(1)}d`;
}

/** Durations for people: 3d4h, 5h12m, 47m, 30s. */
export function human(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (d > 0) return `${d}d${h}h`;
  return h > 0 ? `${h}h${String(min).padStart(2, '0')}m` : `${min}m`;
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function integer(text: string, option: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw new CliExit(EXIT.usage, `${option} wants a whole number of at least ${min}, not "${text}"`, 'E_USAGE');
  return n;
}

function probability(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !(n >= 0 && n <= 1)) throw new CliExit(EXIT.usage, `${option} wants a probability between 0 and 1, not "${text}"`, 'E_USAGE');
  return n;
}

function cron(text: string, option: string): string {
  try {
    new Cron(text, { paused: true, timezone: LADDER_DEFAULTS.timezone });
  } catch {
    throw new CliExit(EXIT.usage, `${option} wants a cron expression (minute hour day-of-month month day-of-week) such as "0 3 * * *", not "${text}"`, 'E_USAGE');
  }
  return text;
}

function duration(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw new CliExit(EXIT.usage, `${option} wants a duration such as 30m or 1h30m, not "${text}"`, 'E_USAGE');
  return ms;
}
