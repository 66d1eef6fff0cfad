import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseUpdateBytes } from '../../core/update-file.js';
import { git, identityEnv } from './git.js';
import { gitWithIndexLockRetry } from './index-lock.js';
import { assertUpdateId, headCommit, RUN_ID_PATTERN, RUN_TRAILER, withRepository } from './update-repo.js';

/** The files of updates/ at one commit: what a phase2 run tests. */
export interface Snapshot {
  readonly commit: string;
  /** Update id -> git blob id of updates/<id>.yml at that commit. */
  readonly blobs: ReadonlyMap<string, string>;
}

export async function snapshotUpdates(repoPath: string): Promise<Snapshot> {
  const commit = await headCommit(repoPath);
  const { stdout } = await git(repoPath, ['ls-tree', '-z', commit, '--', 'updates/']);
  const blobs = new Map<string, string>();
  for (const entry of stdout.split('\0')) {
    const m = /^\d+ blob ([0-9a-f]+)\tupdates\/(.+)\.yml$/.exec(entry);
    if (m?.[1] && m[2]) blobs.set(m[2], m[1]);
  }
  return { commit, blobs };
}

export type MoveOutcome =
  | { readonly id: string; readonly moved: true; readonly folder: string; readonly commit: string }
  | { readonly id: string; readonly moved: false; readonly why: 'changed' | 'gone' | 'already' };

/**
 * phase2 passed: moves each tested update to ready/ (or the folder its `group` names), one
 * commit per update, `Move <id> to ready/`, keeping the author who submitted it. A file
 * edited or removed since the snapshot was not what phase2 tested: it stays for the next
 * phase2. Each commit carries the run id, so a resumed run moves nothing twice; a move
 * interrupted before its commit is undone first (the index and files as HEAD has them).
 */
export async function moveToReady(req: { repoPath: string; snapshot: Snapshot; ids: readonly string[]; runId: string }): Promise<MoveOutcome[]> {
  if (!RUN_ID_PATTERN.test(req.runId)) throw new Error(`refusing run id ${JSON.stringify(req.runId)}`);
  for (const id of req.ids) assertUpdateId(id);
  return withRepository(req.repoPath, async () => {
    const out: MoveOutcome[] = [];
    for (const id of req.ids) out.push(await moveOne(req.repoPath, req.snapshot, id, req.runId));
    return out;
  });
}

async function moveOne(repoPath: string, snapshot: Snapshot, id: string, runId: string): Promise<MoveOutcome> {
  const from = `updates/${id}.yml`;
  const head = await blobAt(repoPath, 'HEAD', from);
  const tested = snapshot.blobs.get(id);
  if (head === undefined) return { id, moved: false, why: (await alreadyMoved(repoPath, id, runId)) ? 'already' : 'gone' };
  if (tested === undefined || head !== tested) return { id, moved: false, why: 'changed' };
  const content = (await git(repoPath, ['cat-file', 'blob', head])).stdout;
  const parsed = parseUpdateBytes(new TextEncoder().encode(content), from);
  const folder = parsed.ok && parsed.update.group ? parsed.update.group : 'ready';
  const to = `${folder}/${id}.yml`;
  await undoInterrupted(repoPath, from, to);
  mkdirSync(join(repoPath, folder), { recursive: true });
  const author = await originalAuthor(repoPath, from);
  await gitWithIndexLockRetry(repoPath, ['mv', '--', from, to]);
  await gitWithIndexLockRetry(repoPath, ['commit', '--quiet', '-F', '-', '--', from, to], {
    env: identityEnv(author), input: `Move ${id} to ${folder}/\n\n${RUN_TRAILER}: ${runId}\n`,
  });
  return { id, moved: true, folder, commit: await headCommit(repoPath) };
}

/** A kill between `git mv` and its commit leaves a staged rename: put both paths back as HEAD has them. */
async function undoInterrupted(repoPath: string, from: string, to: string): Promise<void> {
  await gitWithIndexLockRetry(repoPath, ['reset', '--quiet', '--', from, to]).catch(() => undefined);
  await gitWithIndexLockRetry(repoPath, ['checkout', '--quiet', 'HEAD', '--', from]);
  if ((await blobAt(repoPath, 'HEAD', to)) === undefined && existsSync(join(repoPath, to))) rmSync(join(repoPath, to), { force: true });
}

async function alreadyMoved(repoPath: string, id: string, runId: string): Promise<boolean> {
  const { stdout } = await git(repoPath, ['log', '--fixed-strings', `--grep=${RUN_TRAILER}: ${runId}`, '--format=%s', 'HEAD', '--']);
  return stdout.split('\n').some((s) => s.startsWith(`Move ${id} to `));
}

/** Who submitted the update: the author of the commit that first added it. */
export async function originalAuthor(repoPath: string, path: string): Promise<{ name: string; email: string }> {
  const { stdout } = await git(repoPath, ['log', '--diff-filter=A', '--format=%an%x1f%ae', 'HEAD', '--', path]);
  const last = stdout.trim().split('\n').pop() ?? '';
  const [name, email] = last.split('\x1f');
  return name && email ? { name, email } : { name: 'Sluice', email: 'sluice@localhost' };
}

async function blobAt(repoPath: string, rev: string, path: string): Promise<string | undefined> {
  try {
    return (await git(repoPath, ['rev-parse', '--verify', '--quiet', `${rev}:${path}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
