import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { runTool, type ToolOptions } from './run-tool.js';

export interface Repository {
  /** A directory with the RPMs and their repodata/, usable by `dnf --repofrompath`. */
  readonly path: string;
  /** SHA-256 over the sorted (file name, file SHA-256) list: the directory's name. */
  readonly digest: string;
  /** True when a complete repository of exactly these files already existed: nothing was built. */
  readonly cached: boolean;
  /** The RPMs it holds: file name and SHA-256. */
  readonly files: readonly { readonly name: string; readonly sha256: string }[];
}

/** Written last, inside the temporary directory, before the rename that publishes it. */
export const COMPLETE_MARKER = '.complete';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * A repository of exactly these RPMs under `cacheDir`, content-addressed: a second call
 * with the same files (from any job) reuses it. It is built in a temporary directory and
 * renamed into place, so a reader sees a complete repository or none; of two concurrent
 * builders one rename wins and the other discards its copy.
 */
/**
 * The name of the repository of these files (by name and SHA-256, in any order): the same
 * files always make the same repository, which jobs share and retention recognises.
 */
export function repositoryDigest(files: readonly { readonly name: string; readonly sha256: string }[]): string {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return createHash('sha256').update(sorted.map((e) => `${e.name}\t${e.sha256}\n`).join('')).digest('hex');
}

export async function makeRepository(rpmPaths: readonly string[], cacheDir: string, opts: ToolOptions = {}): Promise<Repository> {
  const byName = new Map<string, { name: string; sha256: string; path: string }>();
  for (const path of rpmPaths) {
    const entry = { name: basename(path), sha256: await sha256File(path), path };
    const seen = byName.get(entry.name);
    if (seen && seen.sha256 !== entry.sha256) throw new Error(`two different RPMs share the file name ${entry.name}: ${seen.path} and ${path}`);
    byName.set(entry.name, entry);
  }
  const entries = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const digest = repositoryDigest(entries);
  const files = entries.map(({ name, sha256 }) => ({ name, sha256 }));
  const reposDir = join(cacheDir, 'repos');
  const path = join(reposDir, digest);
  if (await exists(join(path, COMPLETE_MARKER))) {
    // Used again now: retention counts a repository's age from its last use (docs/retention.md).
    await utimes(join(path, COMPLETE_MARKER), new Date(), new Date()).catch(() => {});
    return { path, digest, cached: true, files };
  }
  await mkdir(reposDir, { recursive: true });
  const temp = await mkdtemp(join(reposDir, `.tmp-${digest.slice(0, 12)}-`));
  try {
    for (const e of entries) {
      // A hard link costs nothing; across file systems, copy.
      await link(e.path, join(temp, e.name)).catch(() => copyFile(e.path, join(temp, e.name)));
    }
    const run = await runTool('createrepo_c', ['--quiet', '--', temp], opts);
    if (run.kind !== 'exited' || run.code !== 0) {
      const why = run.kind === 'not_run' ? run.message : `exit ${run.code}`;
      throw new Error(`createrepo_c failed (${why}): ${run.stderr.trim()}`);
    }
    await writeFile(join(temp, COMPLETE_MARKER), `${digest}\n`);
    await publish(temp, path);
    return { path, digest, cached: false, files };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function publish(temp: string, path: string): Promise<void> {
  try {
    await rename(temp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    // Someone else published the same content first: theirs is as good as ours.
    if (await exists(join(path, COMPLETE_MARKER))) return;
    // Only a hand-made directory can lack the marker (ours are renamed whole): replace it.
    await rm(path, { recursive: true, force: true });
    await rename(temp, path);
  }
}

/** The RPM files directly inside a directory. */
export async function rpmFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.rpm')).sort().map((n) => join(dir, n));
}
