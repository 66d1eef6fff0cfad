import { lstatSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * What a directory tree holds (path -> size and mtime), so a test can say what an operation
 * created or changed, and where. Nothing happens when this file is run alone.
 */
export type TreeSnapshot = ReadonlyMap<string, string>;

export function snapshotTree(root: string): TreeSnapshot {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      out.set(relative(root, path), st.isDirectory() ? 'dir' : `${st.size}:${st.mtimeMs}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

/** Paths created, changed or removed between two snapshots, relative to the root. */
export function treeChanges(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const changed = [...after].filter(([p, v]) => before.get(p) !== v && v !== 'dir').map(([p]) => p);
  const removed = [...before.keys()].filter((p) => !after.has(p));
  return [...changed, ...removed].sort();
}

/** The changes that are not under one of `allowed` (relative directories). */
export function outside(changes: readonly string[], allowed: readonly string[]): string[] {
  return changes.filter((p) => !allowed.some((a) => p === a || p.startsWith(`${a}${sep}`)));
}
