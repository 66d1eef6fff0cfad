import type { Config } from '../core/config.js';
import type { Build } from '../core/update-schema.js';
import { simulatePhase2Run } from './phase2-run.js';
import type { LadderResult } from './ladder.js';
import { quantile, type Spread } from './stats.js';

/**
 * An update's chain bound: the soonest it could reach production had it been alone, on the
 * same nodes, with no clock to wait for: its own phase1 (the work its jobs took), a phase2
 * of it alone that passes (the real planner's jobs, one round), and a promote, end to end
 * from its submission. The ladder can only add to it (queues, batches, bisection,
 * schedules); time to production over this bound says what the ladder's pacing costs.
 */
export interface ChainUpdate {
  readonly id: string;
  /** Its phase1 alone (src/sim/simulation.ts `ownPhase1Ms`); null when phase1 did not run it. */
  readonly phase1Ms: number | null;
  readonly builds: readonly Build[];
}

export function chainBounds(updates: readonly ChainUpdate[], o: { config: Config; capacity: number; phase2RoundMs: number; promoteMs: number }): Map<string, number> {
  const out = new Map<string, number>();
  for (const u of updates) {
    if (u.phase1Ms === null) continue;
    const phase2 = simulatePhase2Run([{ id: u.id, builds: u.builds }], { config: o.config, capacity: o.capacity, roundMs: o.phase2RoundMs, fails: () => false });
    out.set(u.id, u.phase1Ms + phase2.durationMs + o.promoteMs);
  }
  return out;
}

export interface ChainFigures {
  /** Updates that reached production and have a bound. */
  readonly count: number;
  /** Their chain bounds. */
  readonly boundMs: Spread;
  /** Each one's time to production over its own bound. */
  readonly ratio: Spread;
  /** The median time to production over the median bound, and the p90 over the median bound: the goals (<= 1.2, <= 2). */
  readonly medianOverMedianBound: number;
  readonly p90OverMedianBound: number;
}

export function chainFigures(r: LadderResult, bounds: ReadonlyMap<string, number>, only?: ReadonlySet<string>): ChainFigures {
  const done = r.updates.filter((u) => u.productionAt !== null && bounds.has(u.id) && (!only || only.has(u.id)));
  const bound = done.map((u) => bounds.get(u.id) as number).sort((a, b) => a - b);
  const toProduction = done.map((u) => (u.productionAt as number) - u.submittedAt).sort((a, b) => a - b);
  const ratios = done.map((u) => ((u.productionAt as number) - u.submittedAt) / (bounds.get(u.id) as number)).sort((a, b) => a - b);
  const spreadOf = (s: number[]): Spread => ({ median: quantile(s, 0.5), p90: quantile(s, 0.9), max: s.at(-1) ?? 0 });
  const medianBound = quantile(bound, 0.5);
  return {
    count: done.length,
    boundMs: spreadOf(bound),
    ratio: spreadOf(ratios),
    medianOverMedianBound: medianBound > 0 ? quantile(toProduction, 0.5) / medianBound : 0,
    p90OverMedianBound: medianBound > 0 ? quantile(toProduction, 0.9) / medianBound : 0,
  };
}
