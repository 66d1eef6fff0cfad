/**
 * Updates that need each other (docs/lifecycle.md, "Updates that need each other"): the
 * graph of "update A needs update B", declared by a packager or inferred from RPM
 * requirements. These functions answer the questions the ladder asks of it: what must be
 * tested with an update, which updates must move together, and whether the graph is sound.
 * Pure: the edges come from the store.
 */

export type DependencyHow = 'declared' | 'inferred';

export interface UpdateDependency {
  /** The dependant. */
  readonly updateId: string;
  /** The update it needs. */
  readonly dependsOn: string;
  readonly how: DependencyHow;
  /** For a packager: "Depends-On in change 1234", "provides python-oslo-concurrency >= 1.8.0, required by openstack-nova-api". */
  readonly why: string;
}

function needsOf(edges: readonly UpdateDependency[]): Map<string, string[]> {
  const needs = new Map<string, string[]>();
  for (const e of edges) {
    const list = needs.get(e.updateId) ?? [];
    if (!list.includes(e.dependsOn)) list.push(e.dependsOn);
    needs.set(e.updateId, list);
  }
  return needs;
}

/**
 * A cycle of the graph as the path that closes it (`[a, b, a]`), or undefined. A cycle is
 * refused when declared: two updates that each need the other are one update.
 */
export function findCycle(edges: readonly UpdateDependency[]): string[] | undefined {
  const needs = needsOf(edges);
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (id: string): string[] | undefined => {
    if (onPath.has(id)) return [...path.slice(path.indexOf(id)), id];
    if (done.has(id)) return undefined;
    onPath.add(id);
    path.push(id);
    for (const next of needs.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(id);
    done.add(id);
    return undefined;
  };
  for (const id of [...needs.keys()].sort()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Everything `id` needs, directly or through others, nearest first; never `id` itself. */
export function dependenciesOf(id: string, edges: readonly UpdateDependency[]): string[] {
  const needs = needsOf(edges);
  const seen = new Set<string>([id]);
  const order: string[] = [];
  let frontier = [id];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const at of frontier) {
      for (const dep of needs.get(at) ?? []) {
        if (seen.has(dep)) continue;
        seen.add(dep);
        order.push(dep);
        next.push(dep);
      }
    }
    frontier = next;
  }
  return order;
}

/** Every update that needs `id`, directly or through others. */
export function dependantsOf(id: string, edges: readonly UpdateDependency[]): string[] {
  const reversed = edges.map((e) => ({ ...e, updateId: e.dependsOn, dependsOn: e.updateId }));
  return dependenciesOf(id, reversed);
}

/**
 * The updates of `ids` grouped into units that move together: two updates are in one unit
 * when one needs the other, directly or through updates of `ids` (edges to updates outside
 * `ids` do not join anything). Units keep the order of `ids` (by their first member), and
 * members their order in `ids`, so a bisection over units is as deterministic as one over ids.
 */
export function dependencyUnits(ids: readonly string[], edges: readonly UpdateDependency[]): string[][] {
  const inSet = new Set(ids);
  const parent = new Map(ids.map((id) => [id, id]));
  const root = (id: string): string => {
    let r = id;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(id, r);
    return r;
  };
  for (const e of edges) {
    if (!inSet.has(e.updateId) || !inSet.has(e.dependsOn)) continue;
    const a = root(e.updateId);
    const b = root(e.dependsOn);
    if (a !== b) parent.set(b, a);
  }
  const units = new Map<string, string[]>();
  for (const id of ids) {
    const r = root(id);
    const unit = units.get(r) ?? [];
    if (!unit.includes(id)) unit.push(id);
    units.set(r, unit);
  }
  return [...units.values()];
}
