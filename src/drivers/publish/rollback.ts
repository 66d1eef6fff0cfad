import { resolve } from 'node:path';
import type { MirrorHost } from './mirror-command.js';
import { planMirrors, swapMirrors, uploadMirrors, type MirrorPlan } from './mirrors.js';
import { putBack, type PublishStep } from './production.js';
import { removeJournal, writeJournal, type Journal, type JournalEntry } from './publish-journal.js';
import { withPublishLock } from './publish-lock.js';
import { recoverLocked } from './recover-publish.js';
import { listTrees, parseTarget, productionState, targetsWithTrees, treeRelPath, type Target, type Tree } from './tree-layout.js';
import { pointAt } from './tree-swap.js';

/**
 * `sluice rollback` (docs/promote.md, "Rollback"): production, and every mirror with it,
 * pointed back at trees promote kept, all targets and all hosts or none, through the same
 * journal as a publication. Nothing is deleted: the tree left stays kept, so a rollback can
 * itself be undone with `--to`.
 */

/** The `production.rolled_back` events share this stream name in place of a run id (run ids hold no colon), as reloads do. */
export const ROLLBACK_STREAM = 'production:rollback';

export interface KeptTarget {
  readonly target: string;
  /** The tree production shows (its name), or null when the target is not a link to a tree. */
  readonly current: string | null;
  /** Finished trees, oldest first. */
  readonly trees: readonly Tree[];
}

/** The trees each target keeps, and the one it shows: what a rollback can go to. */
export async function listKept(productionRoot: string): Promise<KeptTarget[]> {
  const root = resolve(productionRoot);
  const out: KeptTarget[] = [];
  for (const target of await targetsWithTrees(root)) {
    const state = await productionState(root, target);
    out.push({ target: target.name, current: state.kind === 'tree' ? state.tree.name : null, trees: (await listTrees(root, target)).trees });
  }
  return out.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

export interface RollbackRequest {
  readonly productionRoot: string;
  /** A tree name (`000005-r-…`) or the run id that published it; default: each target's previous tree. */
  readonly to?: string;
  /** Only these targets; default: every target with trees (with `to`: those keeping such a tree). */
  readonly targets?: readonly string[];
  readonly mirrors?: readonly MirrorHost[];
  readonly timeoutMs?: number;
  readonly onStep?: (step: PublishStep, target?: string, mirror?: string) => void | Promise<void>;
}

export interface SwitchedTarget { readonly target: string; readonly from: string; readonly to: string }

export type SwitchResult =
  | { readonly ok: true; readonly targets: readonly SwitchedTarget[]; readonly mirrors: readonly string[] }
  /** `refused`: no such kept tree, nothing was tried; `failed`: a host failed, and every host shows what it showed before. */
  | { readonly ok: false; readonly kind: 'refused' | 'failed'; readonly error: string };

export function rollbackProduction(req: RollbackRequest): Promise<SwitchResult> {
  const root = resolve(req.productionRoot);
  const only = req.targets?.map(parseTarget);
  return withPublishLock(root, async () => {
    try {
      return await switchLocked(root, req, only);
    } catch (e) {
      return { ok: false, kind: 'failed', error: (e as Error).message };
    }
  });
}

/** Each target's tree to go to; an error names the first target that has none. */
export function chooseTrees(kept: readonly KeptTarget[], to: string | undefined, explicit: boolean): { ok: true; switches: SwitchedTarget[] } | { ok: false; error: string } {
  const switches: SwitchedTarget[] = [];
  for (const k of kept) {
    if (k.current === null) {
      if (explicit) return { ok: false, error: `${k.target} does not show a tree promote published: nothing to roll back` };
      continue;
    }
    const now = k.trees.find((t) => t.name === k.current);
    const chosen = to === undefined
      ? k.trees.filter((t) => now !== undefined && t.generation < now.generation).at(-1)
      : k.trees.filter((t) => t.name === to || t.runId === to).at(-1);
    if (chosen === undefined) {
      if (to !== undefined && !explicit) continue;
      return { ok: false, error: to === undefined ? `${k.target} keeps no tree older than ${k.current} (promote.keep, or its first publication)` : `${k.target} keeps no tree ${to} (sluice rollback --list shows what it keeps)` };
    }
    if (chosen.name !== k.current) switches.push({ target: k.target, from: k.current, to: chosen.name });
  }
  if (switches.length === 0) return { ok: false, error: to === undefined ? 'nothing to roll back: no target shows a tree promote published' : `no target keeps a tree ${to} other than the one it shows` };
  return { ok: true, switches };
}

async function switchLocked(root: string, req: RollbackRequest, only: readonly Target[] | undefined): Promise<SwitchResult> {
  await recoverLocked(root);
  const all = await listKept(root);
  for (const t of only ?? []) if (!all.some((k) => k.target === t.name)) return { ok: false, kind: 'refused', error: `${t.name} has no production trees` };
  const kept = only === undefined ? all : all.filter((k) => only.some((t) => t.name === k.target));
  const chosen = chooseTrees(kept, req.to, only !== undefined);
  if (!chosen.ok) return { ok: false, kind: 'refused', error: chosen.error };
  const switches = chosen.switches;
  const step = async (s: PublishStep, t: string | undefined, m: string) => { await req.onStep?.(s, t, m); };

  // Phase one: a host lacking a tree gets it from the local one. Nothing a reader sees changes.
  let mirrors: MirrorPlan[];
  try {
    mirrors = await planMirrors(req.mirrors ?? [], switches.map((s) => ({ target: parseTarget(s.target), to: s.to })), false);
    await uploadMirrors(root, mirrors, step, req.timeoutMs);
  } catch (e) {
    return { ok: false, kind: 'failed', error: `rollback did not start, production and its mirrors are untouched: ${(e as Error).message}` };
  }
  const entries: JournalEntry[] = switches.map((s) => {
    const target = parseTarget(s.target);
    return { target: s.target, old: treeRelPath(target, s.from), new: treeRelPath(target, s.to) };
  });
  const journal: Journal = { version: 1, action: 'switch', phase: 'swap', runId: 'rollback', entries, ...(mirrors.length > 0 ? { mirrors } : {}) };
  await writeJournal(root, journal);
  try {
    for (const e of entries) {
      await req.onStep?.('swap', e.target);
      await pointAt(root, parseTarget(e.target), e.new);
    }
  } catch (e) {
    return { ok: false, kind: 'failed', error: await putBack(root, journal, [], e as Error) };
  }
  const swapped = await swapMirrors(mirrors, true, step);
  if (!swapped.ok) return { ok: false, kind: 'failed', error: await putBack(root, journal, swapped.touched, new Error(swapped.error)) };
  await removeJournal(root);
  return { ok: true, targets: switches, mirrors: mirrors.map((m) => m.mirror.name) };
}

