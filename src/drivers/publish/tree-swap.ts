import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { syncDir } from './publish-journal.js';
import { productionPath, type Target } from './tree-layout.js';

const SWAP_MARK = '.sluice-swap-';

/**
 * Points a target's production link at a tree (a path relative to the root), or removes
 * the link (null). The new link is made beside the old under a temporary name and
 * renamed over it: rename(2) replaces it in one step, so a reader resolving the path finds
 * the old tree or the new one, never nothing. The link is relative, so the whole
 * production root can be moved or mirrored.
 */
export async function pointAt(root: string, target: Target, tree: string | null): Promise<void> {
  const path = productionPath(root, target);
  const current = await lstat(path).catch(() => undefined);
  if (tree === null) {
    // Only ever a link of ours: a real directory is a site's data, never deleted here.
    if (current?.isSymbolicLink()) await rm(path);
    await syncDir(dirname(path)).catch(() => undefined);
    return;
  }
  const text = relative(dirname(path), join(resolve(root), tree));
  if (current?.isSymbolicLink() && (await readlink(path)) === text) return;
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${target.dist}${SWAP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
  await symlink(text, temp);
  try {
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}

/** Temporary links a kill left between their making and their rename, in every release directory. */
export async function removeSwapLeftovers(root: string): Promise<string[]> {
  const removed: string[] = [];
  for (const release of await readdir(resolve(root), { withFileTypes: true }).catch(() => [])) {
    if (!release.isDirectory() || release.name.startsWith('.')) continue;
    for (const name of await readdir(join(resolve(root), release.name)).catch(() => [] as string[])) {
      if (!name.startsWith('.') || !name.includes(SWAP_MARK)) continue;
      const path = join(resolve(root), release.name, name);
      if ((await lstat(path)).isSymbolicLink()) {
        await rm(path);
        removed.push(join(release.name, name));
      }
    }
  }
  return removed;
}
