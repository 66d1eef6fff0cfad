/**
 * Culprit bisection for phase2 (issue "phase2"): a batch of updates failed its tests
 * together; find which updates are to blame without blocking the rest. Pure: the caller
 * runs the groups it is told to test (in parallel, as capacity allows) and feeds the
 * results back; the same history always gives the same decision, so a restarted phase2
 * resumes where it was.
 *
 * The model is adaptive group testing with binary splitting: a group containing a culprit
 * fails. A failed group is split in two halves tested side by side; a half that passes is
 * clean; a failed single update is a culprit. When both halves of a failed group pass, the
 * failure was either flaky or needs updates from both halves together: the group is tested
 * once more, and a pass marks it flaky (its updates are clean) while a second failure
 * blames the group as a whole (an interaction no split can separate).
 * With every frontier group tested in one round, k culprits among n updates take at most
 * ceil(log2 n) + 1 rounds, within the k*ceil(log2 n) + 1 the issue asks for.
 */
export interface GroupResult {
  readonly group: readonly string[];
  readonly passed: boolean;
}

export type BisectDecision =
  | { readonly kind: 'test'; readonly groups: readonly (readonly string[])[] }
  | {
      readonly kind: 'done';
      readonly clean: readonly string[];
      /** Each entry is one culprit, or a group that fails only as a whole. */
      readonly culprits: readonly (readonly string[])[];
      /** Groups that failed once and passed when tested again. */
      readonly flaky: readonly (readonly string[])[];
    };

interface Resolved { clean: string[]; culprits: string[][]; flaky: string[][]; pending: string[][] }

const key = (group: readonly string[]) => group.join('\0');

/** What to test next, or the verdict, given the batch (in its order) and every result so far. */
export function nextBisect(batch: readonly string[], history: readonly GroupResult[]): BisectDecision {
  if (new Set(batch).size !== batch.length) throw new RangeError('a batch names each update once');
  const results = new Map<string, boolean[]>();
  for (const r of history) {
    const k = key(r.group);
    results.set(k, [...(results.get(k) ?? []), r.passed]);
  }
  if (batch.length === 0) return { kind: 'done', clean: [], culprits: [], flaky: [] };
  const r = resolve(batch, results);
  if (r.pending.length > 0) return { kind: 'test', groups: r.pending };
  return { kind: 'done', clean: r.clean, culprits: r.culprits, flaky: r.flaky };
}

function resolve(group: readonly string[], results: ReadonlyMap<string, boolean[]>): Resolved {
  const seen = results.get(key(group));
  if (!seen || seen.length === 0) return { clean: [], culprits: [], flaky: [], pending: [[...group]] };
  if (seen[0]) return { clean: [...group], culprits: [], flaky: [], pending: [] };
  if (group.length === 1) return { clean: [], culprits: [[...group]], flaky: [], pending: [] };
  const middle = Math.ceil(group.length / 2);
  const halves = [group.slice(0, middle), group.slice(middle)].map((h) => resolve(h, results));
  const [a, b] = halves as [Resolved, Resolved];
  if (a.pending.length > 0 || b.pending.length > 0) {
    return { clean: [], culprits: [], flaky: [], pending: [...a.pending, ...b.pending] };
  }
  const bothPassed = a.culprits.length === 0 && b.culprits.length === 0 && a.flaky.length === 0 && b.flaky.length === 0;
  if (!bothPassed) {
    return { clean: [...a.clean, ...b.clean], culprits: [...a.culprits, ...b.culprits], flaky: [...a.flaky, ...b.flaky], pending: [] };
  }
  // The group failed, its halves passed: flaky, or an interaction. One more test says which.
  if (seen.length < 2) return { clean: [], culprits: [], flaky: [], pending: [[...group]] };
  return seen[1]
    ? { clean: [...group], culprits: [], flaky: [[...group]], pending: [] }
    : { clean: [], culprits: [[...group]], flaky: [], pending: [] };
}

/**
 * The same bisection over units (docs/lifecycle.md, "Updates that need each other"):
 * updates that need each other are one unit, never split. History and decisions are in
 * update ids (a tested group is the union of its units' members); a unit is represented
 * inside by its first member. The units partition the batch, in the batch's order.
 */
export function nextBisectUnits(units: readonly (readonly string[])[], history: readonly GroupResult[]): BisectDecision {
  const byHead = new Map(units.map((u) => [u[0] as string, u]));
  const heads = [...byHead.keys()];
  const expand = (group: readonly string[]) => group.flatMap((h) => byHead.get(h) ?? [h]);
  const toHeads = (group: readonly string[]) => {
    const members = new Set(group);
    return heads.filter((h) => members.has(h));
  };
  const d = nextBisect(heads, history.map((r) => ({ group: toHeads(r.group), passed: r.passed })));
  if (d.kind === 'test') return { kind: 'test', groups: d.groups.map(expand) };
  return { kind: 'done', clean: expand(d.clean), culprits: d.culprits.map(expand), flaky: d.flaky.map(expand) };
}

/** The units a group of members is made of (the units partition the batch). */
export function unitsOfGroup(units: readonly (readonly string[])[], group: readonly string[]): string[][] {
  const members = new Set(group);
  return units.filter((u) => members.has(u[0] as string)).map((u) => [...u]);
}
