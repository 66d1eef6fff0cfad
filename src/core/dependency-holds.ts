/**
 * Holding an update back for what it needs (docs/lifecycle.md, "Updates that need each
 * other"): phase2 and promote each decide over a set of updates (updates/ or ready/), and
 * an update of the set whose dependency is neither in the set nor far enough up the ladder
 * waits with the dependency's reason. Pure: where each dependency stands is read by the
 * pipeline and passed in (and recorded in its run's inputs, so a restart decides the same).
 */
import type { UpdateDependency } from './update-dependencies.js';

/** Where an update stands that something of the set needs but that is not in the set. */
export type DependencyPlaceKind = 'ready' | 'pushed' | 'updates' | 'failed' | 'submitted' | 'rejected' | 'gone';

export interface DependencyPlace {
  readonly id: string;
  readonly place: DependencyPlaceKind;
  /** What locates it further, e.g. the phase1 run. */
  readonly detail?: string;
}

export function describePlace(p: DependencyPlace): string {
  const detail = p.detail ? ` (${p.detail})` : '';
  switch (p.place) {
    case 'ready': return `in ready/, not published yet${detail}`;
    case 'pushed': return `published${detail}`;
    case 'updates': return `still in updates/, not through phase2${detail}`;
    case 'failed': return `refused by promote, in failed/${detail}`;
    case 'submitted': return `still in phase1${detail}`;
    case 'rejected': return `failed phase1${detail}`;
    case 'gone': return `withdrawn: in no folder of the update repository and in no phase1${detail}`;
  }
}

export interface DependencyHold {
  readonly id: string;
  readonly why: string;
}

export interface HoldInput {
  /** The set decided over, in its order. */
  readonly candidates: readonly string[];
  /** Members of the set already held for other reasons, with why: their dependants wait too. */
  readonly held: ReadonlyMap<string, string>;
  readonly edges: readonly UpdateDependency[];
  /** Where each update outside the set stands. */
  readonly places: ReadonlyMap<string, DependencyPlace>;
  /** Which places let a dependant go on (phase2: ready/ or published; promote: published). */
  readonly satisfied: (place: DependencyPlaceKind) => boolean;
}

/**
 * The candidates that may go on and those that wait, each with the first unmet need
 * (through a chain: an update whose dependency waits, waits too). A candidate's dependency
 * in the set is met by moving with it.
 */
export function holdForDependencies(input: HoldInput): { go: string[]; held: DependencyHold[] } {
  const inSet = new Set(input.candidates);
  const holds = new Map<string, string>();
  const heldWhy = (id: string) => holds.get(id) ?? input.held.get(id);
  let changed = true;
  while (changed) {
    changed = false;
    for (const id of input.candidates) {
      if (holds.has(id) || input.held.has(id)) continue;
      for (const e of input.edges.filter((x) => x.updateId === id)) {
        const dep = e.dependsOn;
        const needs = `needs ${dep} (${e.why})`;
        let why: string | undefined;
        const depHeld = heldWhy(dep);
        if (depHeld !== undefined) why = `${needs}, which waits too: ${depHeld}`;
        else if (inSet.has(dep)) why = undefined;
        else {
          const place = input.places.get(dep);
          if (!place) why = `${needs}, which sluice does not know`;
          else if (!input.satisfied(place.place)) why = `${needs}, which is ${describePlace(place)}`;
        }
        if (why !== undefined) {
          holds.set(id, why);
          changed = true;
          break;
        }
      }
    }
  }
  return {
    go: input.candidates.filter((id) => !holds.has(id) && !input.held.has(id)),
    held: input.candidates.filter((id) => holds.has(id)).map((id) => ({ id, why: holds.get(id) as string })),
  };
}
