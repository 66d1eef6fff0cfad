import type { LadderResult } from './ladder.js';
import { keyedRandom } from './prng.js';
import { quantile, type Spread } from './stats.js';
import type { Submission } from './traffic.js';

/**
 * Updates that need each other, for `sluice simulate` (docs/simulate.md, "Updates that need
 * each other"). The 2015 traffic does not say which update needed which, so a rule draws
 * the graph from what it does say, and the model asks what each way of testing a dependant
 * in phase1 costs it:
 * - `production`: phase1 tests against production only (Sluice before `--with`). A
 *   dependant whose dependency is not in production yet fails: a false red. Its packager
 *   rechecks once the dependency is published (at best: the moment it is).
 * - `updates`: `phase1.base: updates`, on top of what phase1 already merged (updates/,
 *   ready/, production). False red when the dependency is not merged yet; rechecked once it is.
 * - `with`: `--with` (or an inferred dependency): the dependency's builds are tested with
 *   it, wherever the dependency is. Never a false red; a dependency that failed its own
 *   phase1 holds the dependant (never merged here: the model has no fix for phase1 reds).
 * Whichever the base, promote publishes a dependant no sooner than its dependency.
 * Pure: the phase1 outcomes come from the engine simulation, the ladder from the caller.
 */
export type DependsModel =
  | { readonly kind: 'none' }
  /** An update needs the latest earlier one of the same package family and release, within the window. */
  | { readonly kind: 'family'; readonly windowMs: number }
  /** A share of the updates, drawn by the seed, needs the latest earlier one of the same release within the window. */
  | { readonly kind: 'share'; readonly share: number; readonly windowMs: number };

export const PHASE1_BASES = ['production', 'updates', 'with'] as const;
export type Phase1Base = (typeof PHASE1_BASES)[number];

/**
 * A package's family: its name without the `openstack-`/`python-` packaging prefix, up to
 * the first dash, without a `client` suffix, so a service, its client and its libraries
 * (`openstack-nova`, `python-novaclient`) are one family.
 */
export function packageFamily(name: string): string {
  const bare = name.toLowerCase().replace(/^(openstack|python)-/, '');
  return (bare.split('-')[0] ?? bare).replace(/client$/, '');
}

const releasesOf = (s: Submission) => new Set(s.targets.map((t) => t.split('/')[0]));
const samePackages = (a: Submission, b: Submission) => a.packages.length === b.packages.length && a.packages.every((p) => b.packages.includes(p));

/**
 * Which update each dependant needs (one each). A candidate was submitted before it,
 * within the window, for a release it shares, and is not an update of the very same
 * packages (that is a rebuild superseding it, not something it needs).
 */
export function simDependencies(subs: readonly Submission[], model: DependsModel, seed: number): Map<string, string> {
  const out = new Map<string, string>();
  if (model.kind === 'none') return out;
  subs.forEach((u, i) => {
    if (model.kind === 'share' && keyedRandom(seed, 'depends', u.id)() >= model.share) return;
    const releases = releasesOf(u);
    const families = new Set(u.packages.map(packageFamily));
    for (let j = i - 1; j >= 0; j--) {
      const d = subs[j] as Submission;
      if (u.submittedAt - d.submittedAt > model.windowMs) break;
      if (d.submittedAt >= u.submittedAt || samePackages(u, d)) continue;
      if (![...releasesOf(d)].some((r) => releases.has(r))) continue;
      if (model.kind === 'family' && !d.packages.some((p) => families.has(packageFamily(p)))) continue;
      out.set(u.id, d.id);
      return;
    }
  });
  return out;
}

export interface DependencyRow {
  readonly base: Phase1Base;
  readonly dependants: number;
  /** Dependants that passed their own tests but failed phase1 for want of their dependency. */
  readonly falseRed: number;
  /** Dependants held because their dependency failed (only `with`). */
  readonly held: number;
  /** Dependants that reached production, and how long it took them from submission. */
  readonly production: number;
  readonly toProductionMs: Spread;
}

export interface DependencyInputs {
  readonly subs: readonly Submission[];
  readonly needs: ReadonlyMap<string, string>;
  /** Each update's phase1: verdict time and whether its own tests passed. */
  readonly phase1: ReadonlyMap<string, { readonly passed: boolean; readonly verdictAt: number | null; readonly ownMs: number }>;
  /** The ladder after phase1, from when each update was merged into updates/ (null: never). */
  readonly ladder: (mergedAt: ReadonlyMap<string, number | null>) => LadderResult;
}

export function dependencyRow(i: DependencyInputs, base: Phase1Base): DependencyRow {
  const own = new Map(i.subs.map((s) => {
    const p = i.phase1.get(s.id);
    return [s.id, p?.passed && p.verdictAt !== null ? p.verdictAt : null] as const;
  }));
  let merged: Map<string, number | null> = new Map(own);
  let ladder = i.ladder(merged);
  let falseRed = new Set<string>();
  let held = new Set<string>();
  // A dependant's merge depends on its dependency's times, which its own merge can move
  // (shared batches): settle by repeating until nothing changes (a few rounds at most).
  for (let round = 0; round < 5; round++) {
    const at = new Map(ladder.updates.map((u) => [u.id, u]));
    const next = new Map(own);
    falseRed = new Set();
    held = new Set();
    for (const s of i.subs) {
      const depId = i.needs.get(s.id);
      const mine = own.get(s.id);
      if (depId === undefined || mine === null || mine === undefined) continue;
      const dep = at.get(depId);
      const t = s.submittedAt;
      const ownMs = i.phase1.get(s.id)?.ownMs ?? 0;
      if (base === 'with') {
        if (own.get(depId) === null) { held.add(s.id); next.set(s.id, null); }
        continue;
      }
      const availableAt = base === 'production' ? dep?.productionAt ?? null : dep?.mergedAt ?? null;
      if (availableAt !== null && availableAt <= t) continue;
      falseRed.add(s.id);
      next.set(s.id, availableAt === null ? null : Math.max(availableAt, mine) + ownMs);
    }
    const same = [...next].every(([id, m]) => merged.get(id) === m);
    merged = next;
    ladder = i.ladder(merged);
    if (same) break;
  }
  const prodAt = new Map(ladder.updates.map((u) => [u.id, u.productionAt]));
  const times: number[] = [];
  let production = 0;
  for (const s of i.subs) {
    const depId = i.needs.get(s.id);
    if (depId === undefined) continue;
    let p = prodAt.get(s.id) ?? null;
    // Promote never publishes a dependant before what it needs (the edge is declared or
    // inferred whichever way phase1 tested it).
    if (p !== null) {
      const d = prodAt.get(depId) ?? null;
      p = d === null ? null : Math.max(p, d);
    }
    if (p === null) continue;
    production++;
    times.push(p - s.submittedAt);
  }
  times.sort((a, b) => a - b);
  return {
    base, dependants: [...i.needs.keys()].filter((id) => i.subs.some((s) => s.id === id)).length,
    falseRed: falseRed.size, held: held.size, production,
    toProductionMs: { median: quantile(times, 0.5), p90: quantile(times, 0.9), max: times.at(-1) ?? 0 },
  };
}
