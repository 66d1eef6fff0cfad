import { lstatSync, readlinkSync, rmdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

const MAX_SYMLINKS = 40;

/**
 * The path `inRoot` names when `root` is `/`: symlinks are followed inside the root, so an
 * absolute link (`bin/sh -> /bin/busybox`, as busybox installs them) resolves in the
 * tree, never on the host. Undefined when a component is missing or links loop.
 */
export function resolveInRoot(root: string, inRoot: string): string | undefined {
  const pending = inRoot.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') { done.pop(); continue; }
    const host = join(root, ...done, part);
    let st;
    try { st = lstatSync(host); } catch { return undefined; }
    if (!st.isSymbolicLink()) { done.push(part); continue; }
    if (++links > MAX_SYMLINKS) return undefined;
    const target = readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
  }
  return join(root, ...done);
}

/**
 * Whether a node root holds an operating system a job can run in with the root as `/`:
 * it has an executable `bin/sh` or `usr/bin/sh` (dnf --installroot's trees have both,
 * busybox's has the first).
 */
export function holdsOsTree(root: string): boolean {
  return ['bin/sh', 'usr/bin/sh'].some((sh) => {
    const path = resolveInRoot(root, sh);
    if (path === undefined) return false;
    try {
      const st = statSync(path);
      return st.isFile() && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

/**
 * The directories bwrap will have to make inside the root to mount `targets` on (when the
 * root is `/`, binding the job's directory at its own path makes `<root>/<that path>`),
 * outermost first. Removing them afterwards keeps them out of the root and of any image
 * made of it. A path under a symlink is left to bwrap, and not counted.
 */
export function missingMountPoints(root: string, targets: readonly string[]): string[] {
  const missing = new Set<string>();
  for (const target of targets) {
    const parts = target.split('/').filter((c) => c !== '');
    for (let i = 1; i <= parts.length; i++) {
      const inRoot = posix.join('/', ...parts.slice(0, i));
      let st;
      try { st = lstatSync(join(root, inRoot)); } catch { st = undefined; }
      if (st?.isSymbolicLink()) break;
      if (st === undefined) { for (let j = i; j <= parts.length; j++) missing.add(posix.join('/', ...parts.slice(0, j))); break; }
    }
  }
  return [...missing].sort((a, b) => a.split('/').length - b.split('/').length);
}

/** Removes the mount points bwrap made, innermost first; one the job filled is kept. */
export function removeMountPoints(root: string, made: readonly string[]): void {
  for (const dir of [...made].reverse()) {
    try { rmdirSync(join(root, dir)); } catch { /* not empty, or never made (it was under a tmpfs) */ }
  }
}
