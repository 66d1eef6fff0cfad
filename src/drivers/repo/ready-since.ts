import { git } from './git.js';

/**
 * When each update now in ready/ was put there: the committer time of the newest commit
 * that wrote `ready/<id>.yml` (phase2's `Move <id> to ready/`, or any later edit of the
 * file there, which restarts the clock: what soaked is what gets published). The update
 * repository's history is the record that travels with it: a move made by another Sluice
 * sharing the upstream, by hand, or before the store was made is counted like one of ours
 * (docs/promote.md, "Gates before production"). An id with no such commit is absent.
 */
export async function readySince(repoPath: string): Promise<Map<string, number>> {
  const { stdout } = await git(repoPath, ['log', '--no-renames', '--format=%x01%ct', '--name-only', 'HEAD', '--', 'ready/']);
  const since = new Map<string, number>();
  let at: number | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('\x01')) { at = Number(line.slice(1)) * 1000; continue; }
    const m = /^ready\/([^/]+)\.yml$/.exec(line);
    // Newest first: the first commit seen for a path is the one that wrote what HEAD has.
    if (m?.[1] && at !== undefined && !since.has(m[1])) since.set(m[1], at);
  }
  return since;
}
