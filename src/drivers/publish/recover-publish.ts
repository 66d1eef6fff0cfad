import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { JOURNAL_NAME, readJournal, removeJournal, type Journal, type JournalEntry } from './publish-journal.js';
import { abandonMirrors, putBackMirrors, swapMirrors } from './mirrors.js';
import { removeLockLeftovers, withPublishLock } from './publish-lock.js';
import { listTrees, parseTarget, productionState, targetsWithTrees, targetTreesDir, TEMP_TREE_PREFIX } from './tree-layout.js';
import { pointAt, removeSwapLeftovers } from './tree-swap.js';

export interface RecoveryReport {
  /** The journal found, if a publication had been interrupted. */
  readonly journal: { readonly action: Journal['action']; readonly phase: Journal['phase']; readonly runId: string } | null;
  /** Targets whose links were pointed at the journal's new trees (the crash came after the commit point). */
  readonly rolledForward: readonly string[];
  /** Paths, relative to the production root, of what was deleted: unfinished and abandoned trees, stray temporary files. */
  readonly removed: readonly string[];
}

/**
 * Repairs what a crash (a `kill -9`, a power cut) left in a production root, so that every
 * target shows exactly its old tree or exactly its new one: an interrupted publication is
 * finished if it had reached its commit point and undone if not, unfinished trees and
 * temporary files are deleted. Run at start, and by every publication before it begins.
 */
export async function recoverPublish(productionRoot: string): Promise<RecoveryReport> {
  // Nothing was ever published there: nothing to repair, and no root to create.
  if (!(await lstat(productionRoot).then(() => true, () => false))) return { journal: null, rolledForward: [], removed: [] };
  return withPublishLock(productionRoot, () => recoverLocked(productionRoot));
}

/** The same, for a caller that already holds the publication lock. */
export async function recoverLocked(root: string): Promise<RecoveryReport> {
  const journal = await readJournal(root);
  const rolledForward: string[] = [];
  const removed: string[] = [];
  if (journal?.phase === 'copy') {
    removed.push(...(await abandon(root, journal)));
  } else if (journal?.phase === 'undo') {
    // A swap had failed and the links were being put back: finish that, on every host.
    for (const entry of journal.entries) await pointAt(root, parseTarget(entry.target), entry.old);
    const unreachable = await putBackMirrors(journal.mirrors ?? []);
    if (unreachable.length > 0) throw new Error(`an interrupted publication is being undone, and a mirror cannot be reached: ${unreachable.join('; ')}`);
    removed.push(...(await abandon(root, journal)));
  } else if (journal) {
    for (const entry of journal.entries) {
      await finishEntry(root, journal, entry);
      rolledForward.push(entry.target);
    }
    // Past the commit point every host has its new trees: each is pointed at them too.
    const mirrored = await swapMirrors(journal.mirrors ?? [], true);
    if (!mirrored.ok) throw new Error(`an interrupted publication is being finished, and a mirror cannot be reached: ${mirrored.error}`);
    if (journal.action === 'rollback') removed.push(...(await removeTrees(root, journal.entries.map((e) => e.old))));
    await removeJournal(root);
  }
  for (const target of await targetsWithTrees(root)) {
    for (const name of (await listTrees(root, target)).temporary) {
      await rm(join(targetTreesDir(root, target), name), { recursive: true, force: true, maxRetries: 3 });
      removed.push(join('.trees', target.release, target.dist, name));
    }
  }
  removed.push(...(await removeSwapLeftovers(root)), ...(await removeLockLeftovers(root)), ...(await removeJournalLeftovers(root)));
  const found = journal ? { action: journal.action, phase: journal.phase, runId: journal.runId } : null;
  return { journal: found, rolledForward, removed };
}

/** Rolls one entry forward: its new tree exists (the journal's `swap` phase promises it). */
async function finishEntry(root: string, journal: Journal, entry: JournalEntry): Promise<void> {
  const target = parseTarget(entry.target);
  if (entry.new === null) return pointAt(root, target, null);
  const tree = join(resolve(root), entry.new);
  const exists = await lstat(tree).then(() => true, () => false);
  if (!exists && journal.action === 'migrate') {
    // Killed between writing the journal and moving the site's directory into .trees/.
    const state = await productionState(root, target);
    if (state.kind === 'directory') await rename(state.path, tree);
  } else if (!exists) {
    throw new Error(`the publication journal ${JOURNAL_NAME} names ${entry.new}, which is missing: point ${entry.target} by hand, then remove the journal`);
  }
  await pointAt(root, target, entry.new);
}

/**
 * Undoes a publication that never reached its commit point: its new trees (finished or not)
 * are deleted, then the journal. Production was never changed, so nothing else is needed.
 */
export async function abandon(root: string, journal: Journal): Promise<string[]> {
  // A rollback's trees were kept trees before it: nothing of it is deleted.
  if (journal.action === 'switch') {
    await removeJournal(root);
    return [];
  }
  const removed = await removeTrees(root, journal.entries.map((e) => (e.new === e.old ? null : e.new)));
  for (const entry of journal.entries) {
    if (entry.new === null) continue;
    const target = parseTarget(entry.target);
    const prefix = `${TEMP_TREE_PREFIX}${basename(entry.new)}-`;
    for (const name of await readdir(targetTreesDir(root, target)).catch(() => [] as string[])) {
      if (!name.startsWith(prefix)) continue;
      await rm(join(targetTreesDir(root, target), name), { recursive: true, force: true, maxRetries: 3 });
      removed.push(join('.trees', target.release, target.dist, name));
    }
  }
  removed.push(...(await abandonMirrors(journal.mirrors ?? [])));
  await removeJournal(root);
  return removed;
}

/** Deletes trees (relative paths) that no production link points at; a linked one is never deleted. */
export async function removeTrees(root: string, trees: readonly (string | null)[]): Promise<string[]> {
  const removed: string[] = [];
  for (const rel of trees) {
    if (rel === null) continue;
    const parts = rel.split('/');
    if (parts.length !== 4 || parts[0] !== '.trees') throw new Error(`refusing to delete ${JSON.stringify(rel)}: not a tree`);
    const target = parseTarget(`${parts[1]}/${parts[2]}`);
    const state = await productionState(root, target);
    if (state.kind === 'tree' && state.tree.name === parts[3]) continue;
    const path = join(resolve(root), rel);
    if (!(await lstat(path).then(() => true, () => false))) continue;
    // Renamed first: a kill during the long delete leaves a temporary name that recovery
    // sweeps, never a half-deleted tree that a rollback could point production at.
    const doomed = join(targetTreesDir(root, target), `${TEMP_TREE_PREFIX}${parts[3]}-deleting-${randomBytes(4).toString('hex')}`);
    await rename(path, doomed);
    await rm(doomed, { recursive: true, force: true, maxRetries: 3 });
    removed.push(rel);
  }
  return removed;
}

async function removeJournalLeftovers(root: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(resolve(root)).catch(() => [] as string[])) {
    if (!name.startsWith(`${JOURNAL_NAME}.tmp-`)) continue;
    await rm(join(resolve(root), name), { force: true });
    removed.push(name);
  }
  return removed;
}
