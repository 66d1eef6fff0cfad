import { join, resolve } from 'node:path';
import { inspectMirror, prepareMirror, removeOnMirror, swapOnMirror, uploadTree } from './mirror-remote.js';
import type { MirrorConfig } from '../../core/config-schema.js';
import type { MirrorHost } from './mirror-command.js';
import { parseTarget, parseTreeName, treeRelPath, type Target } from './tree-layout.js';

/**
 * Remote mirrors of production, changed all or none with it (docs/promote.md, "Remote
 * mirrors"). Phase one makes sure each host has each new tree (uploaded beside its current
 * one, checked, renamed into place): nothing a reader sees changes. Phase two swaps each
 * host's links, one host after another; a host that fails has every host already swapped
 * put back. The publication journal names every host's old and new tree, so a crash is
 * repaired the same way on every host.
 */

/** One target's change on one host; tree names, not paths (the host's root is the mirror's `path`). */
export interface MirrorEntry {
  readonly target: string;
  readonly old: string | null;
  readonly new: string;
  /** The host lacks the tree: phase one uploads it (and a failed publication deletes it). */
  readonly upload: boolean;
}

export interface MirrorPlan {
  readonly mirror: MirrorHost;
  readonly entries: readonly MirrorEntry[];
  /** The finished trees the host kept before, by target: what pruning chooses from. */
  readonly kept: Readonly<Record<string, readonly string[]>>;
}

export type MirrorStep = (step: 'upload' | 'uploaded' | 'swap-mirror' | 'swapped-mirror', target: string | undefined, mirror: string) => Promise<void>;

/** Reads every host (in parallel) and plans its part: `to` is each target's tree name; `always` uploads even a tree the host has (a publication's new tree is never trusted from an earlier attempt). */
export async function planMirrors(mirrors: readonly MirrorHost[], switches: readonly { target: Target; to: string }[], always: boolean): Promise<MirrorPlan[]> {
  return Promise.all(mirrors.map(async (mirror) => {
    const states = await inspectMirror(mirror, switches.map((s) => s.target));
    const kept: Record<string, readonly string[]> = {};
    const entries = switches.map((s) => {
      const state = states.get(s.target.name) ?? { current: null, trees: [] };
      kept[s.target.name] = state.trees;
      return { target: s.target.name, old: state.current, new: s.to, upload: always || !state.trees.includes(s.to) };
    });
    return { mirror, entries, kept };
  }));
}

/** Phase one on every host at once: the trees a host lacks are uploaded from the local production root. */
export async function uploadMirrors(root: string, plans: readonly MirrorPlan[], step: MirrorStep, timeoutMs?: number): Promise<void> {
  const results = await Promise.allSettled(plans.map(async (plan) => {
    const uploads = plan.entries.filter((e) => e.upload);
    if (uploads.length === 0) return;
    await prepareMirror(plan.mirror, uploads.map((e) => parseTarget(e.target)));
    for (const e of uploads) {
      const target = parseTarget(e.target);
      await step('upload', e.target, plan.mirror.name);
      const linkDest = e.old ?? (plan.kept[e.target] ?? []).at(-1) ?? null;
      await uploadTree(plan.mirror, target, join(resolve(root), treeRelPath(target, e.new)), e.new, linkDest, timeoutMs);
      await step('uploaded', e.target, plan.mirror.name);
    }
  }));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (errors.length > 0) throw new Error(errors.join('; '));
}

/**
 * Phase two: each host's links pointed at their new trees (`forward`) or their old ones,
 * host after host. Returns the hosts that may have changed: all on success; on a failure,
 * those before it and the failing one unless ssh never reached it.
 */
export async function swapMirrors(plans: readonly MirrorPlan[], forward: boolean, step?: MirrorStep): Promise<{ ok: true } | { ok: false; error: string; touched: MirrorPlan[] }> {
  const touched: MirrorPlan[] = [];
  for (const plan of plans) {
    try {
      await step?.('swap-mirror', undefined, plan.mirror.name);
      await swapOnMirror(plan.mirror, plan.entries.map((e) => [e.target, forward ? e.new : e.old] as const));
      touched.push(plan);
      await step?.('swapped-mirror', undefined, plan.mirror.name);
    } catch (e) {
      if ((e as { connected?: boolean }).connected !== false && !touched.includes(plan)) touched.push(plan);
      return { ok: false, error: (e as Error).message, touched };
    }
  }
  return { ok: true };
}

/** Puts hosts back on their old trees; the messages of those it could not reach. */
export async function putBackMirrors(plans: readonly MirrorPlan[]): Promise<string[]> {
  const errors: string[] = [];
  for (const plan of plans) {
    const r = await swapMirrors([plan], false);
    if (!r.ok) errors.push(r.error);
  }
  return errors;
}

/** Deletes the trees a failed publication uploaded, where the host can be reached; one that cannot keeps an unlinked tree the next upload replaces. */
export async function abandonMirrors(plans: readonly MirrorPlan[]): Promise<string[]> {
  const removed: string[] = [];
  for (const plan of plans) {
    for (const e of plan.entries.filter((x) => x.upload && x.new !== x.old)) {
      removed.push(...(await removeOnMirror(plan.mirror, parseTarget(e.target), [e.new]).catch(() => [])));
    }
  }
  return removed;
}

/** After a publication: on each host, the trees older than the new one beyond the newest `keep`, as locally. */
export async function pruneMirrors(plans: readonly MirrorPlan[], keep: number): Promise<string[]> {
  const removed: string[] = [];
  for (const plan of plans) {
    for (const e of plan.entries) {
      const generation = parseTreeName(e.new)?.generation ?? 0;
      const older = [...new Set(plan.kept[e.target] ?? [])].map(parseTreeName).filter((t) => t !== undefined && t.generation < generation)
        .sort((a, b) => a!.generation - b!.generation).map((t) => t!.name);
      const doomed = older.slice(0, Math.max(0, older.length - keep));
      removed.push(...(await removeOnMirror(plan.mirror, parseTarget(e.target), doomed).catch(() => [])));
    }
  }
  return removed;
}

/** `promote.mirrors` as the driver takes it: key and known hosts files resolved as the configuration's other paths (relative to its file); each is checked again before any command is built (checkMirror). */
export function mirrorHosts(mirrors: readonly MirrorConfig[] | undefined, resolvePath: (p: string) => string): MirrorHost[] {
  return (mirrors ?? []).map((m) => {
    const host: MirrorHost = {
      name: m.name, host: m.host, port: m.port, user: m.user, path: m.path,
      ...(m.key_file === undefined ? {} : { keyFile: resolvePath(m.key_file) }),
      ...(m.known_hosts_file === undefined ? {} : { knownHostsFile: resolvePath(m.known_hosts_file) }),
    };
    return host;
  });
}
