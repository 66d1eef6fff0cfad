import { dependencyRow, type DependencyInputs, type DependencyRow, type Phase1Base } from './dependencies.js';
import { chainBounds, chainFigures, type ChainFigures } from './chain-bound.js';
import { keyedRandom } from './prng.js';
import { LADDER_DEFAULTS, ladderSummary, simulateLadder, type LadderMode, type LadderResult, type LadderSummary } from './ladder.js';
import type { SimulationResult } from './simulation.js';
import { buildsFor, simulationConfig, type Submission } from './traffic.js';

export interface LadderSettings {
  /** Cron firings, or the continuous policy `ladder: continuous` runs. */
  readonly ladder: LadderMode;
  /** Continuous: how long phase2 waits for more updates once one is new. */
  readonly phase2WindowMs: number;
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
  /** Each update's chain bound (src/sim/chain-bound.ts) and time to production over it. */
  readonly chain: ChainFigures;
  readonly bounds: ReadonlyMap<string, number>;
}

/**
 * The rest of the ladder after a phase1 simulation: each update enters updates/ when its
 * phase1 run passed (at the run's verdict), and the pure ladder model takes it from there,
 * on as many nodes as phase1 had. Its draws are keyed by the seed and the update, like
 * phase1's, so every capacity sees the same culprits.
 */
export function simulateLadderAfter(subs: readonly Submission[], phase1: SimulationResult, l: LadderSettings, seed: number): LadderFigures {
  const runOf = new Map(phase1.runs.map((r) => [r.id, r]));
  const config = simulationConfig(subs, { capacity: phase1.capacity });
  const result = simulateLadder(subs.map((s) => {
    const run = runOf.get(`sim-${s.id}`);
    return { id: s.id, submittedAt: s.submittedAt, mergedAt: run?.verdict === 'pass' ? run.finishedAt : null, builds: buildsFor(s) };
  }), {
    config, ladder: l.ladder, phase2WindowMs: l.phase2WindowMs,
    capacity: phase1.capacity, phase2Schedule: l.phase2Schedule, promoteSchedule: l.promoteSchedule, phase2RoundMs: l.phase2RoundMs,
    culpritRate: l.culpritRate, fixDelayMs: l.fixDelayMs, random: (key) => keyedRandom(seed, 'ladder', key)(),
  });
  const pushed = subs.some((s) => s.final !== undefined) ? new Set(subs.filter((s) => s.final === 'pushed').map((s) => s.id)) : null;
  const bounds = chainBounds(subs.map((s) => ({ id: s.id, phase1Ms: phase1.ownPhase1Ms.get(`sim-${s.id}`) ?? null, builds: buildsFor(s) })), {
    config, capacity: phase1.capacity, phase2RoundMs: l.phase2RoundMs, promoteMs: LADDER_DEFAULTS.promoteMs,
  });
  return { result, summary: ladderSummary(result), pushed: pushed ? ladderSummary(result, pushed) : null, chain: chainFigures(result, bounds), bounds };
}

/**
 * What each way of testing a dependant in phase1 costs (src/sim/dependencies.ts), on the
 * ladder of these settings: the same phase1 outcomes, the same culprits.
 */
export function dependencyRowsAfter(subs: readonly Submission[], phase1: SimulationResult, l: LadderSettings, seed: number, needs: ReadonlyMap<string, string>, bases: readonly Phase1Base[]): DependencyRow[] {
  const runOf = new Map(phase1.runs.map((r) => [r.id, r]));
  const config = simulationConfig(subs, { capacity: phase1.capacity });
  const builds = new Map(subs.map((s) => [s.id, buildsFor(s)]));
  const inputs: DependencyInputs = {
    subs, needs,
    phase1: new Map(subs.map((s) => {
      const run = runOf.get(`sim-${s.id}`);
      return [s.id, { passed: run?.verdict === 'pass', verdictAt: run?.finishedAt ?? null, ownMs: phase1.ownPhase1Ms.get(`sim-${s.id}`) ?? 0 }];
    })),
    ladder: (mergedAt) => simulateLadder(subs.map((s) => ({ id: s.id, submittedAt: s.submittedAt, mergedAt: mergedAt.get(s.id) ?? null, builds: builds.get(s.id) ?? [] })), {
      config, ladder: l.ladder, phase2WindowMs: l.phase2WindowMs,
      capacity: phase1.capacity, phase2Schedule: l.phase2Schedule, promoteSchedule: l.promoteSchedule, phase2RoundMs: l.phase2RoundMs,
      culpritRate: l.culpritRate, fixDelayMs: l.fixDelayMs, random: (key) => keyedRandom(seed, 'ladder', key)(),
    }),
  };
  return bases.map((b) => dependencyRow(inputs, b));
}
