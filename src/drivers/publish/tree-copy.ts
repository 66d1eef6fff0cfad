import { randomBytes } from 'node:crypto';
import { chmod, copyFile, lchown, lstat, readdir, rename, rm, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sameContent } from './same-content.js';
import { runTool, type ToolOptions } from '../rpm/run-tool.js';

/**
 * `rsync -a --delete [--link-dest=BASE] FROM/ TO/`: TO becomes a copy of FROM in which
 * every file unchanged from BASE's is a hard link to it, so a tree of thousands of RPMs
 * costs only its new files. Paths must be absolute: rsync reads `name:path` as a remote
 * host, and run ids may contain colons.
 *
 * rsync calls a file unchanged when size and modification time match, to the second by
 * default: a repomd.xml rewritten within the same second at the same size would be linked
 * to the old one. So times are compared to the nanosecond (`--modify-window=-1`), and every
 * file rsync linked to BASE that is not the very file FROM has is then compared byte for
 * byte and, if it differs, replaced by a copy: exact even where the file system keeps only
 * seconds.
 */
export async function rsyncTree(from: string, to: string, linkDest: string | null, opts: ToolOptions = {}): Promise<void> {
  for (const p of [from, to, ...(linkDest ? [linkDest] : [])]) {
    if (!p.startsWith('/')) throw new Error(`rsync needs absolute paths, not ${JSON.stringify(p)}`);
  }
  const args = ['-a', '--delete', '--modify-window=-1', ...(linkDest ? [`--link-dest=${linkDest}`] : []), '--', `${from}/`, `${to}/`];
  const run = await runTool('rsync', args, opts);
  if (run.kind !== 'exited' || run.code !== 0) {
    const why = run.kind === 'not_run' ? run.message : `exit ${run.code}`;
    throw new Error(`rsync ${from}/ -> ${to}/ failed (${why}): ${run.stderr.trim()}`);
  }
  if (linkDest) await unlinkFalseMatches(from, to, linkDest);
}

/** Files of `to` hard-linked to `base` that are not the file `from` has there, and differ from it: copied instead. */
async function unlinkFalseMatches(from: string, to: string, base: string): Promise<void> {
  const files = (await readdir(to, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(to.length + 1));
  // In batches: thousands of RPMs, three lstat each, would otherwise wait on one another.
  for (let i = 0; i < files.length; i += 64) await Promise.all(files.slice(i, i + 64).map((rel) => checkLink(from, to, base, rel)));
}

async function checkLink(from: string, to: string, base: string, rel: string): Promise<void> {
  const [made, source, old] = await Promise.all([join(to, rel), join(from, rel), join(base, rel)].map((p) => lstat(p).catch(() => undefined)));
  if (!made || !source || !old || made.ino !== old.ino || made.dev !== old.dev) return;
  if (source.ino === old.ino && source.dev === old.dev) return;
  if (await sameContent(join(from, rel), join(base, rel))) return;
  const temp = join(dirname(join(to, rel)), `.sluice-copy-${randomBytes(4).toString('hex')}`);
  try {
    await copyFile(join(from, rel), temp);
    // What rsync -a would have kept: the next publication compares these.
    await chmod(temp, source.mode & 0o7777);
    await lchown(temp, source.uid, source.gid).catch(() => undefined);
    await utimes(temp, source.atime, source.mtime);
    await rename(temp, join(to, rel));
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * syncfs(2) of the file system holding `path` (coreutils `sync -f`): one call that makes
 * every file rsync wrote durable, where an fsync per file would cost thousands of calls.
 */
export async function syncFileSystem(path: string, opts: ToolOptions = {}): Promise<void> {
  const run = await runTool('sync', ['-f', '--', path], opts);
  if (run.kind !== 'exited' || run.code !== 0) {
    const why = run.kind === 'not_run' ? run.message : `exit ${run.code}`;
    throw new Error(`sync -f ${path} failed (${why}): ${run.stderr.trim()}`);
  }
}
