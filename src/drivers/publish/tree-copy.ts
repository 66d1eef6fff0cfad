import { runTool, type ToolOptions } from '../rpm/run-tool.js';

/**
 * `rsync -a --delete [--link-dest=BASE] FROM/ TO/`: TO becomes a copy of FROM in which
 * every file identical to BASE's (same size, time and mode) is a hard link to it, so a
 * tree of thousands of RPMs costs only its new files. Paths must be absolute: rsync reads
 * `name:path` as a remote host, and run ids may contain colons.
 */
export async function rsyncTree(from: string, to: string, linkDest: string | null, opts: ToolOptions = {}): Promise<void> {
  for (const p of [from, to, ...(linkDest ? [linkDest] : [])]) {
    if (!p.startsWith('/')) throw new Error(`rsync needs absolute paths, not ${JSON.stringify(p)}`);
  }
  const args = ['-a', '--delete', ...(linkDest ? [`--link-dest=${linkDest}`] : []), '--', `${from}/`, `${to}/`];
  const run = await runTool('rsync', args, opts);
  if (run.kind !== 'exited' || run.code !== 0) {
    const why = run.kind === 'not_run' ? run.message : `exit ${run.code}`;
    throw new Error(`rsync ${from}/ -> ${to}/ failed (${why}): ${run.stderr.trim()}`);
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
