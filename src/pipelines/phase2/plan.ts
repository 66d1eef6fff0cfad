import { nextBisectUnits, unitsOfGroup, type GroupResult } from '../../core/bisect.js';
import type { Config, PlannedCommand } from '../../core/config.js';
import { pipelineFor, withRoles } from '../../core/config.js';
import { describeDisable, type TargetDisable } from '../../core/target-state.js';
import type { Build } from '../../core/update-schema.js';
import { updateTargets } from '../../core/update-targets.js';
import type { JobResult } from '../../core/verdicts.js';
import { holdForDependencies, type DependencyPlace } from '../../core/dependency-holds.js';
import { dependenciesOf, type UpdateDependency } from '../../core/update-dependencies.js';

/**
 * phase2 tests the updates of one snapshot of updates/ together (DESIGN.md "phase2"). It
 * goes in two stages, as Debian's britney tries installability before tests: `checks`
 * bisects the batch with the cheap built-in checks (seconds, no node), then `tests`
 * bisects what passed them on freshly provisioned nodes in preinstall mode. Each round of
 * a stage is the groups `nextBisect` asks for, each group tested on every target its
 * updates touch. Everything here is a function of the batch and the finished jobs, so a
 * restarted engine decides exactly what the dead one would have.
 */
export type Phase2Stage = 'checks' | 'tests';

export interface BatchUpdate {
  readonly id: string;
  readonly builds: readonly Build[];
}

export interface Phase2Batch {
  /** The updates tested, in file-name order (the bisection splits this order). */
  readonly batch: readonly string[];
  /** Left in updates/ without testing, each with why (all its targets disabled...). */
  readonly held: readonly { readonly id: string; readonly why: string }[];
  /** Updates of ready/ the batch needs: installed with their dependants' groups, never blamed. */
  readonly base: readonly string[];
}

/** What phase2 knows of updates that need each other: the edges from the snapshot's updates, and where each needed update outside it stands. */
export interface Phase2Dependencies {
  readonly edges: readonly UpdateDependency[];
  readonly places: readonly DependencyPlace[];
}

/**
 * Which updates of updates/ a phase2 can test now. An update whose dependency is neither
 * in the batch nor in ready/ (or published) is held with that dependency's reason.
 */
export function planPhase2Batch(updates: readonly BatchUpdate[], config: Config, disabled: ReadonlyMap<string, TargetDisable>, deps: Phase2Dependencies = { edges: [], places: [] }): Phase2Batch {
  const batch: string[] = [];
  const held: { id: string; why: string }[] = [];
  for (const u of [...updates].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const { targets, issues } = updateTargets(u.builds, config, disabled);
    const error = issues.find((i) => i.severity === 'error');
    if (error) { held.push({ id: u.id, why: error.message }); continue; }
    const enabled = [...targets.keys()].filter((t) => !disabled.has(t));
    if (enabled.length === 0) {
      held.push({ id: u.id, why: `every target is disabled (${[...targets.keys()].map((t) => `${t}: ${describeDisable(disabled.get(t) as TargetDisable)}`).join('; ')})` });
      continue;
    }
    batch.push(u.id);
  }
  if (deps.edges.length === 0) return { batch, held, base: [] };
  const places = new Map(deps.places.map((p) => [p.id, p]));
  const byDeps = holdForDependencies({
    candidates: batch, held: new Map(held.map((h) => [h.id, h.why])), edges: deps.edges, places,
    satisfied: (place) => place === 'ready' || place === 'pushed',
  });
  const base = [...new Set(byDeps.go.flatMap((id) => dependenciesOf(id, deps.edges)))].filter((id) => places.get(id)?.place === 'ready').sort();
  return { batch: byDeps.go, held: [...held, ...byDeps.held], base };
}

/** The updates of the base (ready/) a group needs, directly or through others. */
export function groupBase(group: readonly string[], base: readonly string[], edges: readonly UpdateDependency[]): string[] {
  const needed = new Set(group.flatMap((id) => dependenciesOf(id, edges)));
  return base.filter((id) => needed.has(id));
}

export interface GroupJob extends PlannedCommand {
  readonly target: string;
  /** The builds of the group's updates for this target, update by update. */
  readonly builds: readonly Build[];
  readonly skip: string | null;
}

/**
 * One job per target the group's updates touch; a disabled target is skipped with its
 * reason. `base` (builds of ready/ the group needs) is installed with the group's builds
 * on the targets the group touches, and adds no target.
 */
export function planGroupJobs(group: readonly string[], updates: ReadonlyMap<string, readonly Build[]>, config: Config, disabled: ReadonlyMap<string, TargetDisable>, stage: Phase2Stage, base: readonly Build[] = []): GroupJob[] {
  const builds = group.flatMap((id) => updates.get(id) ?? []);
  const { targets } = updateTargets(builds, config, disabled);
  const baseTargets = base.length > 0 ? updateTargets(base, config, disabled).targets : new Map<string, readonly Build[]>();
  return [...targets].sort(([a], [b]) => (a < b ? -1 : 1)).map(([target, targetBuilds]) => {
    const p = pipelineFor(config, target, 'phase2');
    const d = disabled.get(target);
    return {
      target, builds: [...(baseTargets.get(target) ?? []), ...targetBuilds], skip: d ? describeDisable(d) : null,
      ...(stage === 'tests' ? withRoles(p) : { command: undefined }),
      checks: stage === 'checks' ? p.checks : [],
      productionRepo: config.targets[target]?.repo ?? '', timeoutMs: p.timeoutMs, maxAttempts: p.retries + 1,
    };
  });
}

/** Whether any target of the batch names built-in checks for phase2: then the checks stage runs first. */
export function phase2HasChecks(batch: readonly string[], updates: ReadonlyMap<string, readonly Build[]>, config: Config, disabled: ReadonlyMap<string, TargetDisable>): boolean {
  return planGroupJobs(batch, updates, config, disabled, 'checks').some((j) => j.skip === null && j.checks.length > 0);
}

/** What a finished job of a phase2 run tells the controller. */
export interface Phase2JobRecord {
  readonly id: string;
  readonly stage: Phase2Stage;
  readonly round: number;
  readonly group: readonly string[];
  readonly target: string;
  readonly result: JobResult;
  readonly reason: string | null;
}

export interface Culprit {
  /** One update, or a group that fails only as a whole (an interaction). */
  readonly updates: readonly string[];
  readonly stage: Phase2Stage;
  /** The jobs that failed when it was tested alone: their errors are the evidence. */
  readonly failedJobs: readonly string[];
  /** The units of updates that need each other it is made of, when one has several members. */
  readonly units?: readonly (readonly string[])[];
}

export type Phase2Step =
  | { readonly kind: 'test'; readonly stage: Phase2Stage; readonly round: number; readonly groups: readonly (readonly string[])[] }
  | { readonly kind: 'done'; readonly outcome: Phase2Outcome }
  /** A group could not be judged (infra or timeout after retries, a cancel): nothing is moved. */
  | { readonly kind: 'stuck'; readonly verdict: 'error' | 'cancelled'; readonly reason: string };

export interface Phase2Outcome {
  readonly batch: readonly string[];
  /** Passed everything: moved to ready/. */
  readonly clean: readonly string[];
  readonly culprits: readonly Culprit[];
  /** Groups that failed once and passed when tested again. */
  readonly flaky: readonly (readonly string[])[];
  readonly rounds: { readonly checks: number; readonly tests: number };
}

const key = (g: readonly string[]) => g.join('\0');

/**
 * The next step of a phase2 run from its finished jobs: the next round of groups to test
 * (in the current stage), or the outcome. A group passes when every job of it that ran
 * passed; a failure fails it; an infra or timeout result left after retries leaves it
 * undecided, and then the whole run is an error (recheck, nobody blamed).
 */
export function nextPhase2Step(batch: readonly string[], withChecks: boolean, jobs: readonly Phase2JobRecord[], units: readonly (readonly string[])[] = batch.map((id) => [id])): Phase2Step {
  const history = (stage: Phase2Stage): GroupResult[] | Phase2Step => {
    const rounds = new Map<string, { round: number; group: readonly string[]; results: JobResult[]; jobs: Phase2JobRecord[] }>();
    for (const j of jobs.filter((x) => x.stage === stage)) {
      const k = `${j.round}\0${key(j.group)}`;
      const entry = rounds.get(k) ?? { round: j.round, group: j.group, results: [], jobs: [] };
      entry.results.push(j.result);
      entry.jobs.push(j);
      rounds.set(k, entry);
    }
    const out: GroupResult[] = [];
    for (const r of [...rounds.values()].sort((a, b) => a.round - b.round)) {
      if (r.results.includes('cancelled')) return { kind: 'stuck', verdict: 'cancelled', reason: 'cancelled' };
      if (r.results.includes('failure')) { out.push({ group: r.group, passed: false }); continue; }
      const broken = r.jobs.filter((j) => j.result === 'infra' || j.result === 'timeout');
      if (broken.length > 0) {
        return { kind: 'stuck', verdict: 'error', reason: `no verdict for ${r.group.join(', ')} in ${stage} round ${r.round}: ${broken.map((j) => `${j.target} ${j.result}${j.reason ? ` (${j.reason})` : ''}`).join('; ')}; nothing is moved, a recheck may pass` };
      }
      out.push({ group: r.group, passed: true });
    }
    return out;
  };
  const lastRound = (stage: Phase2Stage) => Math.max(0, ...jobs.filter((j) => j.stage === stage).map((j) => j.round));
  const evidence = (stage: Phase2Stage, group: readonly string[]) =>
    jobs.filter((j) => j.stage === stage && key(j.group) === key(group) && j.result === 'failure').map((j) => j.id);

  // Updates that need each other are one unit: bisected, blamed and moved as one.
  const culprit = (updates: readonly string[], stage: Phase2Stage): Culprit => {
    const made = unitsOfGroup(units, updates);
    return { updates, stage, failedJobs: evidence(stage, updates), ...(made.some((u) => u.length > 1) ? { units: made } : {}) };
  };
  let testBatch = batch;
  let checkCulprits: Culprit[] = [];
  let checkFlaky: (readonly string[])[] = [];
  if (withChecks) {
    const h = history('checks');
    if (!Array.isArray(h)) return h;
    const d = nextBisectUnits(units, h);
    if (d.kind === 'test') return { kind: 'test', stage: 'checks', round: lastRound('checks') + 1, groups: d.groups };
    testBatch = batch.filter((id) => d.clean.includes(id));
    checkCulprits = d.culprits.map((g) => culprit(g, 'checks'));
    checkFlaky = [...d.flaky];
  }
  const h = history('tests');
  if (!Array.isArray(h)) return h;
  const d = nextBisectUnits(units.filter((u) => testBatch.includes(u[0] as string)), h);
  if (d.kind === 'test') return { kind: 'test', stage: 'tests', round: lastRound('tests') + 1, groups: d.groups };
  return {
    kind: 'done',
    outcome: {
      batch,
      clean: batch.filter((id) => d.clean.includes(id)),
      culprits: [...checkCulprits, ...d.culprits.map((g) => culprit(g, 'tests'))],
      flaky: [...checkFlaky, ...d.flaky],
      rounds: { checks: lastRound('checks'), tests: lastRound('tests') },
    },
  };
}

/** One sentence for the run's reason. */
export function describePhase2(o: Phase2Outcome): string {
  const moved = `${o.clean.length} of ${o.batch.length} update${o.batch.length === 1 ? '' : 's'} passed`;
  const rounds = `${o.rounds.checks > 0 ? `${o.rounds.checks} check round${o.rounds.checks === 1 ? '' : 's'}, ` : ''}${o.rounds.tests} test round${o.rounds.tests === 1 ? '' : 's'}`;
  const flaky = o.flaky.length > 0 ? `; flaky: ${o.flaky.map((g) => g.join('+')).join(', ')}` : '';
  if (o.culprits.length === 0) return `${moved} (${rounds})${flaky}`;
  const culprits = o.culprits.map((c) => `${culpritName(c)} (${c.stage === 'checks' ? 'package checks' : 'tests'})`);
  return `culprit${o.culprits.length === 1 ? '' : 's'}: ${culprits.join(', ')}; ${moved} (${rounds})${flaky}`;
}

/**
 * A culprit's name: one update; a unit of updates that need each other ("hz8d+nv4a (need
 * each other)"); or several that fail only together, units in parentheses.
 */
export function culpritName(c: Pick<Culprit, 'updates' | 'units'>): string {
  const units = c.units ?? c.updates.map((id) => [id]);
  if (units.length === 1) return `${units[0]?.join('+') ?? ''}${(units[0]?.length ?? 0) > 1 ? ' (need each other)' : ''}`;
  return `${units.map((u) => (u.length > 1 ? `(${u.join('+')})` : u[0] ?? '')).join('+')} (only together)`;
}
