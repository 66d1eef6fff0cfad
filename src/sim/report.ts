import { formatDuration } from '../core/duration.js';
import type { DependencyRow, Phase1Base } from './dependencies.js';
import { LADDER_DEFAULTS, RDO_2015_REFERENCE } from './ladder.js';
import type { LadderFigures, LadderSettings } from './ladder-after-phase1.js';
import { policyFigures, type Policy, type PolicyRow } from './policies.js';
import type { SimulationResult } from './simulation.js';

// The tables `sluice simulate` prints, from the figures of src/sim.

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

const LADDER_HEADER = ['capacity', 'merged', 'ready', 'prod', 'ready-med', 'ready-p90', 'prod-med', 'prod-p90', 'chain-med', 'x-med', 'x-p90', 'pushed', 'pushed-med', 'pushed-p90', 'phase2', 'coalesced', 'bisect', 'culprits', 'dropped', 'promotes'];

/** The whole ladder, per capacity, beside RDO's real figure for 2015. */
export function formatLadder(results: readonly SimulationResult[], ladders: readonly LadderFigures[], l: LadderSettings): string {
  const rows = ladders.map(({ summary: s, pushed: p, chain: c }, i) => [
    String(results[i]?.capacity), String(s.merged), String(s.ready), String(s.production),
    days(s.toReadyMs.median, s.ready), days(s.toReadyMs.p90, s.ready), days(s.toProductionMs.median, s.production), days(s.toProductionMs.p90, s.production),
    c.count === 0 ? '-' : human(c.boundMs.median), times(c.ratio.median, c.count), times(c.ratio.p90, c.count),
    p ? String(p.production) : '-', p ? days(p.toProductionMs.median, p.production) : '-', p ? days(p.toProductionMs.p90, p.production) : '-',
    String(s.phase2Runs), String(s.coalesced), String(s.bisectionRounds), String(s.culprits), String(s.dropped), String(s.promotes),
  ]);
  const widths = LADDER_HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => `${cells.map((c, i) => c.padStart(widths[i] as number)).join('  ')}\n`;
  const ref = RDO_2015_REFERENCE;
  const pacing = l.ladder === 'continuous'
    ? `continuous ladder (phase2 as soon as updates/ holds something untested${l.phase2WindowMs > 0 ? `, after a window of ${formatDuration(l.phase2WindowMs)}` : ''}, promote as soon as ready/ changes)`
    : `scheduled ladder (phase2 "${l.phase2Schedule}", promote "${l.promoteSchedule}", times UTC)`;
  return `\nthe ${pacing} after phase1: a phase2 job ${formatDuration(l.phase2RoundMs)} (provision + test); ` +
    `promote ${formatDuration(LADDER_DEFAULTS.promoteMs)} (stage test + sync); ` +
    `culprit rate ${l.culpritRate}, fix delay ${l.fixDelayMs === null ? 'never (dropped)' : formatDuration(l.fixDelayMs)}\n` +
    `${line(LADDER_HEADER)}${rows.map(line).join('')}` +
    'ready/prod: submission to ready/ and to production, in days (median, p90 over the updates that got there); ' +
    'chain: an update alone, its own phase1 + phase2 + promote from its submission on the same nodes; x: time to production over its chain (median, p90); ' +
    'pushed: the same to production over the updates RDO really pushed in 2015; bisect: phase2 rounds after the first; ' +
    'coalesced: phase2 runs started at the end of one a firing fell during; dropped: culprits given up on\n' +
    `reference, RDO 2015 (a manual process): median ${ref.medianDays}d, p90 ${ref.p90Days}d from \`${ref.from}\` to \`${ref.to}\`, ` +
    `${ref.source}\n`;
}

/**
 * The ladders side by side, per capacity: median and p90 time to production, each over the
 * median chain bound (the goal of the continuous ladder: at most 1.2x and 2x).
 */
export function formatLadderComparison(results: readonly SimulationResult[], byMode: readonly { mode: string; figures: readonly LadderFigures[] }[]): string {
  const lines = results.map((r, i) => {
    const parts = byMode.map(({ mode, figures }) => {
      const f = figures[i];
      if (!f) return `${mode} -`;
      const c = f.chain;
      return `${mode} ${human(f.summary.toProductionMs.median)}/${human(f.summary.toProductionMs.p90)} ` +
        `(${c.medianOverMedianBound.toFixed(2)}x/${c.p90OverMedianBound.toFixed(2)}x the median chain ${human(c.boundMs.median)})`;
    });
    return `  on ${r.capacity} node${r.capacity === 1 ? '' : 's'}: ${parts.join('; ')}\n`;
  });
  return '\ntime to production, median/p90, and each over the median chain bound:\n' + lines.join('');
}

/** A ratio with two decimals; '-' when no update got there. */
function times(x: number, count: number): string {
  return count === 0 ? '-' : `${x.toFixed(2)}x`;
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

/** A time to the minute, UTC: 2015-01-20 23:58. */
export function utcMinute(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

const DEPENDENCY_HEADER = ['capacity', 'base', 'dependants', 'false-red', 'rate', 'held', 'prod', 'prod-med', 'prod-p90'];
const BASE_LABEL: Readonly<Record<Phase1Base, string>> = { production: 'production', updates: 'base: updates', with: '--with' };

/** Updates that need each other: what each way of testing a dependant in phase1 costs it. */
export function formatDependencies(model: string, updates: number, needs: ReadonlyMap<string, string>, byCapacity: readonly { capacity: number; rows: readonly DependencyRow[] }[], ladder: string): string {
  const head = `\nupdates that need each other (${model}): ${needs.size} of ${updates} updates need an earlier one` +
    `${needs.size > 0 ? ` (${[...needs].map(([u, d]) => `${u} needs ${d}`).join(', ')})` : ''}\n`;
  if (needs.size === 0) return head;
  const cells = byCapacity.flatMap(({ capacity, rows }) => rows.map((r) => [
    String(capacity), BASE_LABEL[r.base], String(r.dependants), String(r.falseRed), `${(100 * r.falseRed / updates).toFixed(1)}%`, String(r.held),
    String(r.production), r.production === 0 ? '-' : human(r.toProductionMs.median), r.production === 0 ? '-' : human(r.toProductionMs.p90),
  ]));
  const widths = DEPENDENCY_HEADER.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (c: readonly string[]) => `${c.map((x, i) => (i === 1 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ')}\n`;
  return `${head}${line(DEPENDENCY_HEADER)}${cells.map(line).join('')}` +
    `base: how phase1 tests a dependant (production only; on top of updates/ and ready/ as \`phase1.base: updates\`; with its dependency's builds as \`--with\`); ` +
    `false-red: dependants that passed their own tests but failed phase1 for want of their dependency (rate: of all ${updates} updates), rechecked once it is there; ` +
    `held: dependants whose dependency failed its own phase1; prod: dependants in production, prod-med/p90 their time from submission, on the ${ladder} ladder\n`;
}
