import type { Config } from '../core/config.js';
import { nextPhase2Step, phase2HasChecks, planGroupJobs, planPhase2Batch, type Phase2JobRecord, type Phase2Outcome, type Phase2Stage } from '../pipelines/phase2/plan.js';
import type { TargetDisable } from '../core/target-state.js';
import type { Build } from '../core/update-schema.js';

/**
 * One phase2 run of the ladder model, decided by the planner the real phase2 controller
 * runs (src/pipelines/phase2/plan.ts, which bisects with src/core/bisect.ts): the batch and its
 * order, the stages, the groups of each round, the jobs of a group, when bisection is done
 * and who is to blame all come from there, so a change to the planner changes the
 * simulation. What the model adds is only what a real run learns from its nodes: whether a
 * group fails, and how long a round takes.
 */

export interface Phase2RunUpdate {
  readonly id: string;
  readonly builds: readonly Build[];
}

export interface Phase2RunOptions {
  readonly config: Config;
  /** Nodes for the round's jobs. */
  readonly capacity: number;
  /** One job on a node: provisioning plus the tests. */
  readonly roundMs: number;
  /** Whether a group fails its tests in a round: it holds a culprit, or the round was flaky. */
  readonly fails: (group: readonly string[], round: number) => boolean;
}

export interface Phase2RunResult {
  /** The updates tested, in the order bisection splits them (the planner's: file-name order). */
  readonly batch: readonly string[];
  readonly outcome: Phase2Outcome;
  /** Rounds on nodes or of package checks, the first included. */
  readonly rounds: number;
  /** Jobs that took a node. */
  readonly jobs: number;
  readonly durationMs: number;
}

/** The simulation disables no target. */
const NONE_DISABLED: ReadonlyMap<string, TargetDisable> = new Map();

/**
 * A round's jobs share `capacity` nodes, each taking `roundMs`, so a round lasts
 * ceil(jobs / capacity) job times; package checks need no node and take no time here. The
 * model's culprits break the tests, so checks always pass. No job ends as infra, timeout or
 * cancelled (not modelled), so a run is never stuck.
 */
export function simulatePhase2Run(updates: readonly Phase2RunUpdate[], o: Phase2RunOptions): Phase2RunResult {
  const plan = planPhase2Batch(updates, o.config, NONE_DISABLED);
  // The simulation's configuration names every target of its traffic: nothing can be held.
  if (plan.held.length > 0) throw new Error(`phase2 would hold ${plan.held.map((h) => `${h.id} (${h.why})`).join(', ')}`);
  const builds = new Map(updates.map((u) => [u.id, u.builds]));
  const withChecks = phase2HasChecks(plan.batch, builds, o.config, NONE_DISABLED);
  const records: Phase2JobRecord[] = [];
  let durationMs = 0;
  let jobs = 0;
  for (;;) {
    const step = nextPhase2Step(plan.batch, withChecks, records);
    if (step.kind === 'done') {
      return { batch: plan.batch, outcome: step.outcome, rounds: step.outcome.rounds.checks + step.outcome.rounds.tests, jobs, durationMs };
    }
    if (step.kind === 'stuck') throw new Error(`a simulated phase2 cannot be stuck: ${step.reason}`);
    let onNodes = 0;
    step.groups.forEach((group, gi) => {
      const failed = step.stage === 'tests' && o.fails(group, step.round);
      const groupJobs = planGroupJobs(group, builds, o.config, NONE_DISABLED, step.stage);
      if (groupJobs.length === 0) throw new Error(`phase2 plans no job for ${group.join(', ')}`);
      for (const j of groupJobs) {
        if (j.skip === null && step.stage === 'tests') onNodes++;
        records.push(record(step.stage, step.round, gi, group, j.target, j.skip !== null ? 'skipped' : failed ? 'failure' : 'success'));
      }
    });
    jobs += onNodes;
    durationMs += Math.ceil(onNodes / o.capacity) * o.roundMs;
  }
}

function record(stage: Phase2Stage, round: number, gi: number, group: readonly string[], target: string, result: Phase2JobRecord['result']): Phase2JobRecord {
  return { id: `${stage}${round}.${gi}.${target}`, stage, round, group, target, result, reason: null };
}
