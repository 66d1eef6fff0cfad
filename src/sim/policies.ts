import { runSimulation, type SimulationOptions, type SimulationResult } from './simulation.js';

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
