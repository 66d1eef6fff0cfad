import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Cron } from 'croner';
import { formatDuration, parseDuration } from '../core/duration.js';
import { formatProblem } from '../core/problem.js';
import { LADDER_DEFAULTS, RDO_2015_REFERENCE, type LadderMode } from '../sim/ladder.js';
import { PHASE1_BASES, simDependencies, type DependsModel } from '../sim/dependencies.js';
import { dependencyRowsAfter, simulateLadderAfter, type LadderFigures, type LadderSettings } from '../sim/ladder-after-phase1.js';
import { POLICIES, policyFigures, runPolicies, type Policy } from '../sim/policies.js';
import { keyedRandom } from '../sim/prng.js';
import { SIM_DEFAULTS } from '../sim/provider.js';
import { formatDependencies, formatLadder, formatLadderComparison, formatPolicies, formatTable, utcMinute } from '../sim/report.js';
import { parseTraffic, syntheticBurst, type Submission } from '../sim/traffic.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';

/*
 * `sluice simulate`: its options, reading the traffic, and the output; the simulation
 * itself is src/sim (docs/simulate.md).
 */

/** Where the recorded RDO traffic sits beside a checkout (public sample data). */
const SAMPLE = join('..', 'shared', 'samples', 'rdo-traffic.jsonl');
const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

interface SimulateCliOptions {
  traffic?: string; burst?: string; over?: string; capacity?: string; provision?: string; boot?: string; test?: string;
  red?: string; infra?: string; seed?: string; json?: boolean; policy?: string;
  phase2Schedule?: string; promoteSchedule?: string; culpritRate?: string; fixDelay?: string; ladder?: string; phase2Window?: string;
  depends?: string; dependsWindow?: string;
}

const LADDER_MODES = ['scheduled', 'continuous'] as const;

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
    .option('--ladder <list>', `how phase2 and promote start, comma-separated to compare them on the same traffic: scheduled (on --phase2-schedule and --promote-schedule), continuous (as \`ladder: continuous\`: as soon as there is something new)`, 'scheduled')
    .option('--phase2-window <duration>', 'continuous: how long phase2 waits for more updates once one is new (default: not at all)')
    .option('--culprit-rate <p>', 'probability that an update breaks phase2 each time it enters updates/', String(LADDER_DEFAULTS.culpritRate))
    .option('--fix-delay <duration>', 'how long a packager takes to fix a culprit before it re-enters updates/ ("never": dropped)', formatDuration(LADDER_DEFAULTS.fixDelayMs))
    .option('--depends <model>', 'which updates need an earlier one: family (the same package family and release), a share such as 0.1 (that share of the updates, drawn by the seed, needs the latest earlier one of a release it shares), or none', 'family')
    .option('--depends-window <duration>', 'how far back an update\'s dependency may have been submitted', '1d')
    .option('--policy <list>', `scheduling policies to compare on the same traffic, comma-separated: ${POLICIES.join(', ')} (v0.1 runs on one node)`, 'sluice')
    .option('--seed <n>', 'seed of every random draw: same seed, same figures', '1')
    .option('--json', 'print the figures as JSON')
    .action(async (opts: SimulateCliOptions) => setStatus(await simulate(io, opts)));
}

export async function simulate(io: Io, opts: SimulateCliOptions): Promise<number> {
  const seed = integer(opts.seed ?? '1', '--seed', 0);
  const capacities = (opts.capacity ?? '1,2,4,8').split(',').map((c) => integer(c.trim(), '--capacity', 1));
  const { submissions, source } = loadTraffic(io, opts, seed);
  if (submissions.length === 0) throw new CliExit(EXIT.usage, 'no traffic to simulate', 'E_USAGE');
  const base = {
    submissions, seed,
    provisionMs: duration(opts.provision, '--provision'), bootMs: duration(opts.boot, '--boot'), testMs: duration(opts.test, '--test'),
    red: probability(opts.red, '--red'), infra: probability(opts.infra, '--infra'),
  };
  const modes = ladderList(opts.ladder ?? 'scheduled');
  const ladder: Omit<LadderSettings, 'ladder'> = {
    phase2WindowMs: duration(opts.phase2Window, '--phase2-window') ?? 0,
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
  const byMode = modes.map((mode) => ({ mode, figures: results.map((r) => simulateLadderAfter(submissions, r, { ...ladder, ladder: mode }, seed)) }));
  const needs = simDependencies(submissions, dependsModel(opts), seed);
  const firstMode = modes[0] as LadderMode;
  const dependencies = needs.size === 0 ? [] : results.map((r) => ({
    capacity: r.capacity, rows: dependencyRowsAfter(submissions, r, { ...ladder, ladder: firstMode }, seed, needs, PHASE1_BASES),
  }));
  const ladderJson = (f: LadderFigures | undefined) => f && { all: f.summary, pushedIn2015: f.pushed, chain: f.chain };
  if (opts.json) {
    io.out(`${JSON.stringify({
      source, updates: submissions.length, seed,
      ladder: { ...ladder, ladder: modes[0], promoteMs: LADDER_DEFAULTS.promoteMs, maxFixes: LADDER_DEFAULTS.maxFixes, timezone: LADDER_DEFAULTS.timezone },
      reference: RDO_2015_REFERENCE,
      results: results.map(({ runs: _runs, ownPhase1Ms: _own, ...r }, i) => ({
        ...r, ladder: ladderJson(byMode[0]?.figures[i]),
        ladders: Object.fromEntries(byMode.map((m) => [m.mode, ladderJson(m.figures[i])])),
      })),
      policies: rows.map(policyFigures),
      dependencies: { model: opts.depends ?? 'family', ladder: firstMode, needs: Object.fromEntries(needs), byCapacity: dependencies },
    }, null, 2)}\n`);
  } else {
    io.out(`${source}: ${submissions.length} updates from ${utcMinute(submissions[0]?.submittedAt)} to ${utcMinute(submissions.at(-1)?.submittedAt)}, seed ${seed}\n`);
    if (policies.length === 1 && policies[0] === 'sluice') {
      io.out(formatTable(results));
      for (const m of byMode) io.out(formatLadder(results, m.figures, { ...ladder, ladder: m.mode }));
      if (byMode.length > 1) io.out(formatLadderComparison(results, byMode));
      io.out(formatDependencies(describeDepends(opts), submissions.length, needs, dependencies, firstMode));
    } else {
      io.out(formatPolicies(rows));
    }
    for (const why of rows[0]?.result.rejected ?? []) io.err(`rejected ${why}\n`);
  }
  return rows.every((r) => r.result.stats.unfinished === 0) ? EXIT.ok : EXIT.error;
}

function dependsModel(opts: SimulateCliOptions): DependsModel {
  const text = (opts.depends ?? 'family').trim();
  const windowMs = duration(opts.dependsWindow ?? '1d', '--depends-window') as number;
  if (text === 'none') return { kind: 'none' };
  if (text === 'family') return { kind: 'family', windowMs };
  const share = Number(text);
  if (!/^[0-9.]+$/.test(text) || !(share >= 0 && share <= 1)) throw new CliExit(EXIT.usage, `--depends wants family, none or a share between 0 and 1, not "${text}"`, 'E_USAGE');
  return { kind: 'share', share, windowMs };
}

function describeDepends(opts: SimulateCliOptions): string {
  const model = (opts.depends ?? 'family').trim();
  const within = `within ${opts.dependsWindow ?? '1d'}`;
  if (model === 'none') return 'none (--depends none)';
  if (model === 'family') return `an update needs the latest earlier one of the same package family and release, ${within}`;
  return `a share ${model} of the updates needs the latest earlier one of a release it shares, ${within}`;
}

function ladderList(text: string): LadderMode[] {
  const list = text.split(',').map((p) => p.trim());
  for (const p of list) {
    if (!(LADDER_MODES as readonly string[]).includes(p)) throw new CliExit(EXIT.usage, `--ladder wants a list of ${LADDER_MODES.join(', ')}, not "${p}"`, 'E_USAGE');
  }
  return [...new Set(list)] as LadderMode[];
}

function policyList(text: string): Policy[] {
  const list = text.split(',').map((p) => p.trim());
  for (const p of list) {
    if (!(POLICIES as readonly string[]).includes(p)) throw new CliExit(EXIT.usage, `--policy wants a list of ${POLICIES.join(', ')}, not "${p}"`, 'E_USAGE');
  }
  return [...new Set(list)] as Policy[];
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
