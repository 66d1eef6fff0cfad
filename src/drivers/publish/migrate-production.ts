import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ToolOptions } from '../rpm/run-tool.js';
import { removeJournal, writeJournal, type Journal } from './publish-journal.js';
import { abandon } from './recover-publish.js';
import { rsyncTree, syncFileSystem } from './tree-copy.js';
import { listTrees, MIGRATED_RUN, productionState, targetTreesDir, TEMP_TREE_PREFIX, treeName, treeRelPath, type Target } from './tree-layout.js';
import { pointAt } from './tree-swap.js';

/** The generation a new tree of this target gets: one past the newest it has. */
export async function nextGeneration(root: string, target: Target): Promise<number> {
  const { trees } = await listTrees(root, target);
  return (trees.at(-1)?.generation ?? 0) + 1;
}

/**
 * Brings a target's production under Sluice's layout, once, before its first publication:
 * a site's production usually starts as a plain directory. The directory is renamed into
 * `.trees/` (no copy, however large) and a link put where it was; for the instant between
 * the two the path is missing, and a crash there is repaired by recovery from the journal.
 * A link made by hand is copied instead (hard links, so no file is duplicated) and replaced
 * atomically; what it pointed at is left alone. Caller holds the publication lock.
 */
export async function migrateLocked(root: string, target: Target, tool: ToolOptions = {}): Promise<'migrated' | 'nothing'> {
  const state = await productionState(root, target);
  if (state.kind !== 'directory' && state.kind !== 'foreign') return 'nothing';
  const name = treeName(await nextGeneration(root, target), MIGRATED_RUN);
  const tree = treeRelPath(target, name);
  const final = join(resolve(root), tree);
  await mkdir(targetTreesDir(root, target), { recursive: true });
  const entries = [{ target: target.name, old: null, new: tree }];
  if (state.kind === 'directory') {
    await writeJournal(root, { version: 1, action: 'migrate', phase: 'swap', runId: MIGRATED_RUN, entries });
    try {
      await rename(state.path, final);
    } catch (e) {
      await removeJournal(root);
      throw new Error(`cannot move ${state.path} into ${tree} (is .trees/ on another file system?): ${(e as Error).message}`, { cause: e });
    }
  } else {
    const journal: Journal = { version: 1, action: 'migrate', phase: 'copy', runId: MIGRATED_RUN, entries };
    await writeJournal(root, journal);
    try {
      const temp = join(targetTreesDir(root, target), `${TEMP_TREE_PREFIX}${name}-${randomBytes(4).toString('hex')}`);
      await rsyncTree(state.path, temp, state.path, tool);
      await rename(temp, final);
      await syncFileSystem(final, tool);
      await writeJournal(root, { ...journal, phase: 'swap' });
    } catch (e) {
      await abandon(root, journal);
      throw e;
    }
  }
  await pointAt(root, target, tree);
  await removeJournal(root);
  return 'migrated';
}
