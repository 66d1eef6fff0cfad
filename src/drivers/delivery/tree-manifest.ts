import { createHash } from 'node:crypto';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../rpm/repository.js';

/** One regular file of a delivered directory: its path inside it, content hash and size. */
export interface TreeEntry {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * What a directory holds, as a node receives it: every regular file with its SHA-256.
 * The digest names the directory on the node, so a node that has a tree of this digest
 * already has exactly these files (and proves it by checking them before each job).
 */
export interface TreeManifest {
  readonly digest: string;
  readonly entries: readonly TreeEntry[];
  readonly bytes: number;
}

/** `sha256sum -c` input for the tree: the node checks every file against it before a job runs. */
export function checksumList(m: TreeManifest): string {
  return m.entries.map((e) => `${e.sha256}  ${e.path}\n`).join('');
}

// A hash is costly on a stage tree of thousands of RPMs that changes by a few files a day:
// the last hash of a file is kept while its inode, size and modification time stay the same.
const hashes = new Map<string, string>();
const HASHES_KEPT = 200_000;

async function hashOf(path: string, st: { dev: number; ino: number; size: number; mtimeMs: number }): Promise<string> {
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const known = hashes.get(key);
  if (known) return known;
  const sha = await sha256File(path);
  if (hashes.size >= HASHES_KEPT) hashes.clear();
  hashes.set(key, sha);
  return sha;
}

/** Names a node's shell reads line by line and joins to paths: nothing that could change their meaning. */
function safeComponent(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\0\n\r\\]/.test(name);
}

/**
 * The manifest of a directory on the worker (empty when it does not exist). Symbolic links are followed at the top (a
 * production tree is a link to its current version) and inside it (stage trees link
 * production's files); a name a node could misread is refused, naming the file.
 */
export async function treeManifest(dir: string): Promise<TreeManifest> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch (e) {
    // Production before the first promote: nothing yet, which the node receives as an empty directory.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { digest: createHash('sha256').update('').digest('hex'), entries: [], bytes: 0 };
  }
  const entries: TreeEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (!safeComponent(name)) throw new Error(`cannot deliver ${join(root, path)}: its name holds a character a node's tools cannot take`);
      const full = join(root, path);
      const link = await lstat(full);
      const st = link.isSymbolicLink() ? await stat(full) : link;
      if (st.isDirectory()) await walk(path);
      else if (st.isFile()) entries.push({ path, sha256: await hashOf(full, st), size: st.size });
    }
  };
  await walk('');
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const digest = createHash('sha256').update(entries.map((e) => `${e.sha256} ${e.size} ${e.path}\n`).join('')).digest('hex');
  return { digest, entries, bytes: entries.reduce((n, e) => n + e.size, 0) };
}
