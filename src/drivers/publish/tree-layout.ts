import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isTargetPart } from '../../core/names.js';
import { RUN_ID_PATTERN } from '../repo/update-repo.js';

/**
 * Where production lives (docs/promote.md): `<root>/<release>/<dist>` is a symbolic link
 * to one complete tree, `<root>/.trees/<release>/<dist>/<generation>-<run id>`. Trees sit
 * in a directory per target because a flat `<release>-<dist>-<run>` name cannot be split
 * back (`kilo/epel` + `7-run` reads the same as `kilo/epel-7` + `run`), and the generation
 * number orders them without trusting modification times.
 */
export const TREES_DIR = '.trees';

/** A tree being filled by rsync is named so; only a finished one is renamed to its generation. */
export const TEMP_TREE_PREFIX = '.tmp-';

/** The run id a plain production directory is given when it is first moved into `.trees/`. */
export const MIGRATED_RUN = 'migrated';

export interface Target { readonly release: string; readonly dist: string; readonly name: string }

export interface Tree {
  readonly generation: number;
  readonly runId: string;
  /** The directory name, `<generation>-<run id>`. */
  readonly name: string;
}

/** `kilo/epel-7` -> its parts; refuses anything that could climb out of the production root. */
export function parseTarget(target: string): Target {
  const parts = typeof target === 'string' ? target.split('/') : [];
  const [release, dist] = parts;
  if (parts.length !== 2 || release === undefined || dist === undefined || !isTargetPart(release) || !isTargetPart(dist)) {
    throw new Error(`refusing target ${JSON.stringify(target)}: a target is <release>/<dist>, each of letters, digits, ".", "+" and "-"`);
  }
  return { release, dist, name: `${release}/${dist}` };
}

export function assertRunId(runId: string): void {
  if (typeof runId !== 'string' || !RUN_ID_PATTERN.test(runId)) {
    throw new Error(`refusing run id ${JSON.stringify(runId)}: a run id is one token of letters, digits and . _ : + -`);
  }
}

/** What users' repository configuration points at. */
export function productionPath(root: string, target: Target): string {
  return join(resolve(root), target.release, target.dist);
}

export function targetTreesDir(root: string, target: Target): string {
  return join(resolve(root), TREES_DIR, target.release, target.dist);
}

/** A tree's path relative to the production root: how the journal names it. */
export function treeRelPath(target: Target, name: string): string {
  return join(TREES_DIR, target.release, target.dist, name);
}

export function treeName(generation: number, runId: string): string {
  return `${String(generation).padStart(6, '0')}-${runId}`;
}

export function parseTreeName(name: string): Tree | undefined {
  const m = /^(\d{1,15})-(.+)$/.exec(name);
  if (!m?.[1] || !m[2] || !RUN_ID_PATTERN.test(m[2])) return undefined;
  return { generation: Number(m[1]), runId: m[2], name };
}

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR';

/** The finished trees of a target, oldest first, and the names of unfinished ones. */
export async function listTrees(root: string, target: Target): Promise<{ trees: Tree[]; temporary: string[] }> {
  let names: string[];
  try {
    names = await readdir(targetTreesDir(root, target));
  } catch (e) {
    if (missing(e)) return { trees: [], temporary: [] };
    throw e;
  }
  const trees = names.map(parseTreeName).filter((t): t is Tree => t !== undefined).sort((a, b) => a.generation - b.generation);
  return { trees, temporary: names.filter((n) => n.startsWith(TEMP_TREE_PREFIX)) };
}

/** Every target that has a `.trees/<release>/<dist>` directory. */
export async function targetsWithTrees(root: string): Promise<Target[]> {
  const out: Target[] = [];
  const list = async (dir: string) => readdir(dir, { withFileTypes: true }).catch((e: unknown) => { if (missing(e)) return []; throw e; });
  for (const release of await list(join(resolve(root), TREES_DIR))) {
    if (!release.isDirectory() || !isTargetPart(release.name)) continue;
    for (const dist of await list(join(resolve(root), TREES_DIR, release.name))) {
      if (dist.isDirectory() && isTargetPart(dist.name)) out.push({ release: release.name, dist: dist.name, name: `${release.name}/${dist.name}` });
    }
  }
  return out;
}

export type ProductionState =
  | { readonly kind: 'none' }
  /** A real directory: a site's production before Sluice first published it. */
  | { readonly kind: 'directory'; readonly path: string }
  /** A link to one of our trees. */
  | { readonly kind: 'tree'; readonly path: string; readonly tree: Tree }
  /** A link somewhere else (made by hand): published over like a directory, never deleted. */
  | { readonly kind: 'foreign'; readonly path: string };

export async function productionState(root: string, target: Target): Promise<ProductionState> {
  const path = productionPath(root, target);
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if (missing(e)) return { kind: 'none' };
    throw e;
  }
  if (st.isDirectory()) return { kind: 'directory', path };
  if (!st.isSymbolicLink()) throw new Error(`${path} is neither a directory nor a symbolic link: not a production repository`);
  const link = resolve(dirname(path), await readlink(path));
  const tree = parseTreeName(basename(link));
  if (tree && dirname(link) === targetTreesDir(root, target)) return { kind: 'tree', path: link, tree };
  return { kind: 'foreign', path: await realpath(path).catch(() => link) };
}

/**
 * The directory a target's production repository is now (the tree its link points at, or
 * the plain directory), or null when it has none yet: what the next stage is made from.
 */
export async function currentTree(productionRoot: string, target: string): Promise<string | null> {
  const state = await productionState(productionRoot, parseTarget(target));
  return state.kind === 'none' ? null : state.path;
}

/** The run whose publication production shows for a target: how a resumed run knows it already published. */
export async function currentRun(productionRoot: string, target: string): Promise<string | null> {
  const state = await productionState(productionRoot, parseTarget(target));
  return state.kind === 'tree' ? state.tree.runId : null;
}
