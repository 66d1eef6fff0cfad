import { nextBisect, type GroupResult } from '../../core/bisect.js';
import type { Config, PlannedCommand } from '../../core/config.js';
import { pipelineFor, withRoles } from '../../core/config.js';
import { describeDisable, type TargetDisable } from '../../core/target-state.js';
import type { Build } from '../../core/update-schema.js';
import { updateTargets } from '../../core/update-targets.js';
import type { JobResult } from '../../core/verdicts.js';

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
}

/** Which updates of updates/ a phase2 can test now. */
export function planPhase2Batch(updates: readonly BatchUpdate[], config: Config, disabled: ReadonlyMap<string, TargetDisable>): Phase2Batch {
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
  return { batch, held };
}

export interface GroupJob extends PlannedCommand {
  readonly target: string;
  /** The builds of the group's updates for this target, update by update. */
  readonly builds: readonly Build[];
  readonly skip: string | null;
}

/** One job per target the group's updates touch; a disabled target is skipped with its reason. */
export function planGroupJobs(group: readonly string[], updates: ReadonlyMap<string, readonly Build[]>, config: Config, disabled: ReadonlyMap<string, TargetDisable>, stage: Phase2Stage): GroupJob[] {
  const builds = group.flatMap((id) => updates.get(id) ?? []);
  const { targets } = updateTargets(builds, config, disabled);
  return [...targets].sort(([a], [b]) => (a < b ? -1 : 1)).map(([target, targetBuilds]) => {
    const p = pipelineFor(config, target, 'phase2');
    const d = disabled.get(target);
    return {
      target, builds: targetBuilds, skip: d ? describeDisable(d) : null,
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
export function nextPhase2Step(batch: readonly string[], withChecks: boolean, jobs: readonly Phase2JobRecord[]): Phase2Step {
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

  let testBatch = batch;
  let checkCulprits: Culprit[] = [];
  let checkFlaky: (readonly string[])[] = [];
  if (withChecks) {
    const h = history('checks');
    if (!Array.isArray(h)) return h;
    const d = nextBisect(batch, h);
    if (d.kind === 'test') return { kind: 'test', stage: 'checks', round: lastRound('checks') + 1, groups: d.groups };
    testBatch = batch.filter((id) => d.clean.includes(id));
    checkCulprits = d.culprits.map((g) => ({ updates: g, stage: 'checks', failedJobs: evidence('checks', g) }));
    checkFlaky = [...d.flaky];
  }
  const h = history('tests');
  if (!Array.isArray(h)) return h;
  const d = nextBisect(testBatch, h);
  if (d.kind === 'test') return { kind: 'test', stage: 'tests', round: lastRound('tests') + 1, groups: d.groups };
  return {
    kind: 'done',
    outcome: {
      batch,
      clean: batch.filter((id) => d.clean.includes(id)),
      culprits: [...checkCulprits, ...d.culprits.map((g): Culprit => ({ updates: g, stage: 'tests', failedJobs: evidence('tests', g) }))],
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
  const culprits = o.culprits.map((c) => `${c.updates.join('+')}${c.updates.length > 1 ? ' (only together)' : ''} (${c.stage === 'checks' ? 'package checks' : 'tests'})`);
  return `culprit${o.culprits.length === 1 ? '' : 's'}: ${culprits.join(', ')}; ${moved} (${rounds})${flaky}`;
}
