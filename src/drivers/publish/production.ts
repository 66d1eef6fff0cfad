import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ToolOptions } from '../rpm/run-tool.js';
import type { MirrorHost } from './mirror-command.js';
import { migrateLocked, nextGeneration } from './migrate-production.js';
import { planMirrors, pruneMirrors, putBackMirrors, swapMirrors, uploadMirrors, type MirrorPlan } from './mirrors.js';
import { removeJournal, syncDir, writeJournal, type Journal, type JournalEntry } from './publish-journal.js';
import { withPublishLock } from './publish-lock.js';
import { abandon, recoverLocked, removeTrees } from './recover-publish.js';
import { rsyncTree, syncFileSystem } from './tree-copy.js';
import { assertRunId, listTrees, parseTarget, productionState, targetsWithTrees, targetTreesDir, TEMP_TREE_PREFIX, treeName, treeRelPath, type Target } from './tree-layout.js';
import { pointAt } from './tree-swap.js';

export { currentRun, currentTree } from './tree-layout.js';
export { recoverPublish, type RecoveryReport } from './recover-publish.js';

/** Previous trees kept per target after a publication: what a rollback can go back to. */
export const DEFAULT_KEEP = 2;

export type PublishStep = 'rsync' | 'rsynced' | 'upload' | 'uploaded' | 'commit' | 'swap' | 'swapped' | 'swap-mirror' | 'swapped-mirror' | 'done';

export interface PublishRequest {
  readonly productionRoot: string;
  readonly runId: string;
  /** Each target's complete stage tree (composeStage's result), published all together. */
  readonly trees: readonly { readonly target: string; readonly stagePath: string }[];
  /** Previous trees kept per target (default 2); older ones are deleted after a publication. */
  readonly keep?: number;
  /** Limit for each rsync (default 10 minutes). */
  readonly timeoutMs?: number;
  /**
   * Told as each step starts. Progress for a caller; for tests, a place to aim a kill. A
   * throw fails the step as a failing rsync or rename would (except `done`: by then the
   * publication has happened).
   */
  readonly onStep?: (step: PublishStep, target?: string, mirror?: string) => void | Promise<void>;
  /** Remote hosts that replicate production, changed all or none with it (docs/promote.md, "Remote mirrors"). */
  readonly mirrors?: readonly MirrorHost[];
}

export interface PublishedTarget {
  readonly target: string;
  /** Absolute paths: the tree production showed before (null: none) and shows now. */
  readonly old: string | null;
  readonly new: string;
  /** This run had already published this target (a resumed run): nothing was done. */
  readonly already: boolean;
}

export type PublishResult =
  | { readonly ok: true; readonly targets: readonly PublishedTarget[]; readonly pruned: readonly string[] }
  | { readonly ok: false; readonly error: string };

export type RollbackResult =
  | { readonly ok: true; readonly targets: readonly { readonly target: string; readonly restored: string }[] }
  | { readonly ok: false; readonly error: string };

interface Planned { readonly target: Target; readonly stagePath: string; readonly old: string | null; readonly new: string; readonly already: boolean }

/**
 * Publishes stage trees to production, all targets or none (DESIGN.md: "a failed copy is
 * rolled back"). Each stage tree is copied by rsync into a new tree beside the current one,
 * unchanged files hard-linked to it; only when every copy is complete and on disk does the
 * journal commit, and each target's link is swapped. A failure before the commit point
 * deletes the new trees and leaves production untouched; a failed swap puts the old links
 * back. A crash anywhere is repaired by `recoverPublish`. Idempotent per run.
 */
export function publishToProduction(req: PublishRequest): Promise<PublishResult> {
  assertRunId(req.runId);
  const keep = req.keep ?? DEFAULT_KEEP;
  if (!Number.isInteger(keep) || keep < 0 || keep > 1000) throw new Error(`keep must be a whole number from 0 to 1000, not ${keep}`);
  const targets = req.trees.map((t) => ({ target: parseTarget(t.target), stagePath: resolve(t.stagePath) }));
  const names = targets.map((t) => t.target.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`target ${twice} is given twice`);
  const root = resolve(req.productionRoot);
  return withPublishLock(root, async () => {
    try {
      return await publishLocked(root, req, targets, keep);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  });
}

async function publishLocked(root: string, req: PublishRequest, targets: readonly { target: Target; stagePath: string }[], keep: number): Promise<PublishResult> {
  const tool: ToolOptions = req.timeoutMs === undefined ? {} : { timeoutMs: req.timeoutMs };
  const step = async (s: PublishStep, t?: Target) => { await req.onStep?.(s, t?.name); };
  const mirrorStep = async (s: PublishStep, t: string | undefined, m: string) => { await req.onStep?.(s, t, m); };
  await recoverLocked(root);
  for (const t of targets) await migrateLocked(root, t.target, tool);
  const plan: Planned[] = [];
  for (const t of targets) plan.push(await planTarget(root, req.runId, t.target, t.stagePath));
  const work = plan.filter((p) => !p.already);
  const result = (pruned: string[]): PublishResult => ({
    ok: true, pruned,
    targets: plan.map((p) => ({ target: p.target.name, old: p.old && join(root, p.old), new: join(root, p.new), already: p.already })),
  });
  if (work.length === 0) return result([]);

  const entries: JournalEntry[] = work.map((p) => ({ target: p.target.name, old: p.old, new: p.new }));
  let mirrors: MirrorPlan[];
  try {
    mirrors = await planMirrors(req.mirrors ?? [], work.map((p) => ({ target: p.target, to: basename(p.new) })), true);
  } catch (e) {
    return { ok: false, error: `publication of run ${req.runId} did not start, production and its mirrors are untouched: ${(e as Error).message}` };
  }
  const journal: Journal = { version: 1, action: 'publish', phase: 'copy', runId: req.runId, entries, ...(mirrors.length > 0 ? { mirrors } : {}) };
  await writeJournal(root, journal);
  try {
    for (const p of work) {
      await step('rsync', p.target);
      await copyTree(root, p, tool);
      await step('rsynced', p.target);
    }
    await syncFileSystem(root, tool);
    for (const p of work) await syncDir(targetTreesDir(root, p.target));
    await uploadMirrors(root, mirrors, mirrorStep, req.timeoutMs);
    await step('commit');
    await writeJournal(root, { ...journal, phase: 'swap' });
  } catch (e) {
    await abandon(root, journal);
    return { ok: false, error: `publication of run ${req.runId} failed before any change to production: ${(e as Error).message}` };
  }

  try {
    for (const p of work) {
      await step('swap', p.target);
      await pointAt(root, p.target, p.new);
      await step('swapped', p.target);
    }
  } catch (e) {
    // The mirrors swap after every local link: none of them has changed yet.
    return { ok: false, error: await putBack(root, journal, [], e as Error) };
  }
  const swapped = await swapMirrors(mirrors, true, mirrorStep);
  if (!swapped.ok) return { ok: false, error: await putBack(root, journal, swapped.touched, new Error(swapped.error)) };
  await removeJournal(root);
  // Published: nothing a listener does can make that untrue.
  await (async () => req.onStep?.('done'))().catch(() => undefined);
  const pruned: string[] = [];
  for (const p of work) pruned.push(...(await prune(root, p.target, keep)));
  pruned.push(...(await pruneMirrors(mirrors, keep)));
  return result(pruned);
}

async function planTarget(root: string, runId: string, target: Target, stagePath: string): Promise<Planned> {
  const state = await productionState(root, target);
  const old = state.kind === 'tree' ? treeRelPath(target, state.tree.name) : null;
  if (state.kind === 'tree' && state.tree.runId === runId) return { target, stagePath, old, new: old!, already: true };
  return { target, stagePath, old, new: treeRelPath(target, treeName(await nextGeneration(root, target), runId)), already: false };
}

/** rsync into a temporary name, renamed to the tree's name only once complete. */
async function copyTree(root: string, p: Planned, tool: ToolOptions): Promise<void> {
  const st = await stat(p.stagePath).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`the stage tree of ${p.target.name}, ${p.stagePath}, is not a directory`);
  const dir = targetTreesDir(root, p.target);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${TEMP_TREE_PREFIX}${basename(p.new)}-${randomBytes(4).toString('hex')}`);
  await rsyncTree(p.stagePath, temp, p.old === null ? null : join(root, p.old), tool);
  await rename(temp, join(root, p.new));
}

/**
 * A swap failed midway, locally or on a mirror: the journal turns to phase `undo`, every
 * local link and every mirror that may have changed (`touched`) is pointed back at its old
 * tree, then the new trees are abandoned. If a host cannot be put back, the journal stays
 * in `undo` and recovery finishes putting it back once the host answers.
 */
export async function putBack(root: string, journal: Journal, touched: readonly MirrorPlan[], error: Error): Promise<string> {
  const what = journal.action === 'switch' ? 'rollback' : `publication of run ${journal.runId}`;
  try {
    await writeJournal(root, { ...journal, phase: 'undo' });
    for (const e of journal.entries) await pointAt(root, parseTarget(e.target), e.old);
    const unreachable = await putBackMirrors(touched);
    if (unreachable.length > 0) throw new Error(unreachable.join('; '));
    await abandon(root, journal);
    return `${what} failed while swapping; every target${(journal.mirrors ?? []).length > 0 ? ', here and on every mirror,' : ''} was put back on its old tree: ${error.message}`;
  } catch (e) {
    return `${what} failed while swapping (${error.message}) and putting the old trees back failed too (${(e as Error).message}): ` +
      'the journal is kept, and recovery (the next publication, rollback or start) puts them back';
  }
}

/** Deletes the trees older than the current one beyond the newest `keep`. */
async function prune(root: string, target: Target, keep: number): Promise<string[]> {
  const state = await productionState(root, target);
  if (state.kind !== 'tree') return [];
  const older = (await listTrees(root, target)).trees.filter((t) => t.generation < state.tree.generation);
  const doomed = older.slice(0, Math.max(0, older.length - keep)).map((t) => treeRelPath(target, t.name));
  return removeTrees(root, doomed);
}

/**
 * Puts back, for every target that run `runId` published and production still shows, the
 * tree it replaced (the newest older one kept), and deletes the rolled-back tree. All such
 * targets or none: a target without an older tree refuses the whole rollback.
 */
export function rollbackPublish(req: { productionRoot: string; runId: string }): Promise<RollbackResult> {
  assertRunId(req.runId);
  const root = resolve(req.productionRoot);
  return withPublishLock(root, async () => {
    try {
      return await rollbackLocked(root, req.runId);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  });
}

async function rollbackLocked(root: string, runId: string): Promise<RollbackResult> {
  await recoverLocked(root);
  const entries: JournalEntry[] = [];
  for (const target of await targetsWithTrees(root)) {
    const state = await productionState(root, target);
    if (state.kind !== 'tree' || state.tree.runId !== runId) continue;
    const previous = (await listTrees(root, target)).trees.filter((t) => t.generation < state.tree.generation).at(-1);
    if (previous === undefined) return { ok: false, error: `${target.name} has no older tree to go back to (keep: 0, or this run published it first)` };
    entries.push({ target: target.name, old: treeRelPath(target, state.tree.name), new: treeRelPath(target, previous.name) });
  }
  if (entries.length === 0) return { ok: true, targets: [] };
  await writeJournal(root, { version: 1, action: 'rollback', phase: 'swap', runId, entries });
  for (const e of entries) await pointAt(root, parseTarget(e.target), e.new);
  await removeTrees(root, entries.map((e) => e.old));
  await removeJournal(root);
  return { ok: true, targets: entries.map((e) => ({ target: e.target, restored: join(root, e.new!) })) };
}
