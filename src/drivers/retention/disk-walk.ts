import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface Measure {
  /** Apparent bytes of the regular files; a file with several hard links is charged its share to each. */
  readonly bytes: number;
  readonly files: number;
  /** The newest modification time of anything inside (milliseconds), or the directory's own. */
  readonly newest: number;
}

/** A directory being deleted is renamed so first: a kill mid-delete leaves a name the next prune sweeps, never half an item. */
export const PRUNING_PREFIX = '.pruning-';

const missing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

/**
 * Walks a directory (or measures a file) without following symbolic links. Builds and the
 * repositories made from them share files through hard links, and production trees share
 * unchanged files with each other: charging each link its share keeps the kinds' totals
 * equal to what the disk holds. A path that vanished mid-walk counts as empty.
 */
export async function measure(path: string): Promise<Measure> {
  let bytes = 0;
  let files = 0;
  let newest = 0;
  const stack = [path];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    let st;
    try {
      st = await lstat(next);
    } catch (e) {
      if (missing(e)) continue;
      throw e;
    }
    newest = Math.max(newest, st.mtimeMs);
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(next);
      } catch (e) {
        if (missing(e)) continue;
        throw e;
      }
      for (const n of names) stack.push(join(next, n));
    } else if (st.isFile()) {
      bytes += st.size / Math.max(1, st.nlink);
      files++;
    } else {
      files++;
    }
  }
  return { bytes: Math.round(bytes), files, newest: Math.floor(newest) };
}

/** The entries of a directory, or none when it does not exist. */
export async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if (missing(e)) return [];
    throw e;
  }
}

/** Renames, then deletes: see PRUNING_PREFIX. False when it was gone already (another prune took it). */
export async function removeDir(path: string): Promise<boolean> {
  const aside = join(dirname(path), `${PRUNING_PREFIX}${basename(path)}-${randomBytes(3).toString('hex')}`);
  try {
    await rename(path, aside);
  } catch (e) {
    if (missing(e)) return false;
    throw e;
  }
  await rm(aside, { recursive: true, force: true });
  return true;
}

/** What an earlier prune left half-deleted (it was killed): removed at once, whatever the limits. */
export async function sweepLeftovers(dir: string): Promise<number> {
  let n = 0;
  for (const name of await entries(dir)) {
    if (!name.startsWith(PRUNING_PREFIX)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    n++;
  }
  return n;
}
