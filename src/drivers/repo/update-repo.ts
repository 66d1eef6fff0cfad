import { realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isSafeName, NAME_RULE } from '../../core/names.js';
import { writeFileAtomic } from './atomic-write.js';
import { blobId, formatOfId } from './blob-id.js';
import { git, identityEnv } from './git.js';
import { headCommitId } from './head-commit.js';
import { gitWithIndexLockRetry } from './index-lock.js';
import { KeyedQueue } from './keyed-queue.js';
import { UPDATE_REPO_FOLDERS } from './layout.js';
import { currentBranch, hasRemote, pushWithRebase } from './push.js';

/** The trailer that ties a repository commit to the run that made it (DESIGN.md, durability). */
export const RUN_TRAILER = 'Sluice-Run';

/** Run ids end up in commit messages: one token, no spaces, no newlines. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$/;

export type UpdateFolder = (typeof UPDATE_REPO_FOLDERS)[number];

export interface MergeUpdateRequest {
  readonly repoPath: string;
  readonly updateId: string;
  /** The update file exactly as submitted; stored byte for byte. */
  readonly content: string | Uint8Array;
  /** The update's author: git author of the commit (Sluice is the committer). */
  readonly author: { readonly name: string; readonly email: string };
  readonly runId: string;
  /** The remote branch to push to; defaults to the working copy's current branch. */
  readonly branch?: string;
  /** Push to `origin` after committing, if the repository has such a remote. */
  readonly push?: boolean;
}

export interface MergeUpdateResult {
  readonly ok: true;
  /** The commit that holds the update: the one just made, or the earlier one found. */
  readonly commit: string;
  /** True when nothing was committed: this run already merged it, or the same file is there. */
  readonly already: boolean;
  /** True when the branch was pushed to `origin`. */
  readonly pushed: boolean;
}

const queue = new KeyedQueue();

/** Runs `task` after every earlier change this process made to the same repository. */
export function withRepository<T>(repoPath: string, task: () => Promise<T>): Promise<T> {
  return queue.run(queueKey(repoPath), task);
}

function queueKey(repoPath: string): string {
  try {
    return realpathSync(repoPath);
  } catch {
    return resolve(repoPath);
  }
}

/** Refuses an update id that could not safely be a file name; the error names the id. */
export function assertUpdateId(updateId: string): void {
  if (typeof updateId !== 'string' || !isSafeName(updateId)) {
    throw new Error(`refusing update id ${JSON.stringify(updateId)}: an update id is ${NAME_RULE}, without ".."`);
  }
}

function assertRunId(runId: string): void {
  if (typeof runId !== 'string' || !RUN_ID_PATTERN.test(runId)) {
    throw new Error(`refusing run id ${JSON.stringify(runId)}: a run id is one token of letters, digits and . _ : + -`);
  }
}

function assertAuthor(author: { name: string; email: string }): void {
  const control = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  const bad = (s: unknown): boolean => typeof s !== 'string' || s.trim() === '' || control(s) || /[<>]/.test(s);
  if (bad(author.name) || bad(author.email)) {
    throw new Error(`refusing author ${JSON.stringify(author)}: a name and an email without control characters or <>`);
  }
}

export function assertBranch(branch: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/.test(branch) || branch.includes('..') || branch.includes('//') || branch.endsWith('/') || branch.endsWith('.lock')) {
    throw new Error(`refusing branch ${JSON.stringify(branch)}`);
  }
}

/** The commit message: the subject humans read, and the run trailer Sluice reads back. */
export function mergeMessage(kind: 'New' | 'Update', updateId: string, runId: string): string {
  return `${kind} ${updateId}\n\n${RUN_TRAILER}: ${runId}\n`;
}

/**
 * The commit on HEAD's history that this run made for this update, if any: its message
 * has the trailer `Sluice-Run: <runId>` (matched exactly, not as a prefix) and the subject
 * `New <id>` or `Update <id>`.
 */
export async function findRunCommit(repoPath: string, runId: string, updateId: string): Promise<string | undefined> {
  const { stdout } = await git(repoPath, [
    'log', '--fixed-strings', `--grep=${RUN_TRAILER}: ${runId}`,
    `--format=%H%x1f%s%x1f%(trailers:key=${RUN_TRAILER},valueonly,separator=%x1f)%x1e`, 'HEAD', '--',
  ]);
  const subjects = new Set([`New ${updateId}`, `Update ${updateId}`]);
  for (const record of stdout.split('\x1e')) {
    const [hash, subject, ...runs] = record.trim().split('\x1f');
    if (hash && subject !== undefined && subjects.has(subject) && runs.map((r) => r.trim()).includes(runId)) return hash;
  }
  return undefined;
}

async function blobAt(repoPath: string, rev: string, path: string): Promise<string | undefined> {
  try {
    return (await git(repoPath, ['rev-parse', '--verify', '--quiet', `${rev}:${path}`])).stdout.trim();
  } catch {
    return undefined;
  }
}

async function lastCommitTouching(repoPath: string, path: string): Promise<string> {
  const { stdout } = await git(repoPath, ['log', '-1', '--format=%H', 'HEAD', '--', path]);
  return stdout.trim() || (await headCommit(repoPath));
}

/**
 * Merges an update file into `updates/` after its phase1 run passed (DESIGN.md):
 * `updates/<id>.yml` gets exactly `content`, committed as `New <id>` (or `Update <id>`
 * when a different version was there) with the update's author as git author, Sluice as
 * committer and `Sluice-Run: <runId>` as trailer.
 *
 * Idempotent: if this run already committed it, or the same bytes are already at
 * `updates/<id>.yml`, nothing is committed and `already` is true. Merges into one
 * repository are serialised within the process; across processes git's index lock is
 * waited for.
 */
export async function mergeUpdate(req: MergeUpdateRequest): Promise<MergeUpdateResult> {
  assertUpdateId(req.updateId);
  assertRunId(req.runId);
  assertAuthor(req.author);
  if (req.branch !== undefined) assertBranch(req.branch);
  return queue.run(queueKey(req.repoPath), () => mergeLocked(req));
}

async function mergeLocked(req: MergeUpdateRequest): Promise<MergeUpdateResult> {
  const { repoPath, updateId, runId } = req;
  const path = `updates/${updateId}.yml`;
  const finish = async (commit: string, already: boolean): Promise<MergeUpdateResult> => {
    if (!req.push || !(await hasRemote(repoPath, 'origin'))) return { ok: true, commit, already, pushed: false };
    const branch = req.branch ?? (await currentBranch(repoPath));
    assertBranch(branch);
    await pushWithRebase(repoPath, branch);
    // A rebase rewrites our commit; find it again. If it vanished, the remote already had the same change.
    const rebased = await findRunCommit(repoPath, runId, updateId);
    if (rebased !== undefined) return { ok: true, commit: rebased, already, pushed: true };
    return { ok: true, commit: await lastCommitTouching(repoPath, path), already: true, pushed: true };
  };

  const earlier = await findRunCommit(repoPath, runId, updateId);
  if (earlier !== undefined) return finish(earlier, true);

  const headBlob = await blobAt(repoPath, 'HEAD', path);
  const bytes = typeof req.content === 'string' ? Buffer.from(req.content, 'utf8') : req.content;
  writeFileAtomic(join(repoPath, path), bytes);
  // The same bytes are there already: git's own id of them, computed without a process.
  // (No clean or smudge filter applies to updates/*.yml, so the file's bytes are the blob's.)
  if (headBlob !== undefined && headBlob === blobId(bytes, formatOfId(headBlob))) return finish(await lastCommitTouching(repoPath, path), true);

  const env = identityEnv(req.author);
  try {
    await gitWithIndexLockRetry(repoPath, ['add', '--', path]);
    // With a path, `git commit` commits only that path, whatever else is staged.
    await gitWithIndexLockRetry(repoPath, ['commit', '--quiet', '-F', '-', '--', path], {
      env, input: mergeMessage(headBlob === undefined ? 'New' : 'Update', updateId, runId),
    });
  } catch (error) {
    await restore(repoPath, path, headBlob !== undefined);
    throw error;
  }
  return finish(await headCommit(repoPath), false);
}

/** After a failed commit: put the file back as HEAD has it, so the working copy tells no lies. */
async function restore(repoPath: string, path: string, existed: boolean): Promise<void> {
  try {
    if (existed) {
      await gitWithIndexLockRetry(repoPath, ['checkout', '--quiet', 'HEAD', '--', path]);
    } else {
      await gitWithIndexLockRetry(repoPath, ['rm', '--quiet', '--cached', '--ignore-unmatch', '--', path]);
      rmSync(join(repoPath, path), { force: true });
    }
  } catch {
    // Best effort: the next merge rewrites the file anyway.
  }
}

/**
 * The update ids of every lifecycle folder at `rev` (default HEAD), each sorted: one
 * `git ls-tree` for the four (the front page lists them whenever HEAD moved).
 */
export async function listFolders(req: { repoPath: string; rev?: string }): Promise<Record<UpdateFolder, string[]>> {
  const rev = req.rev ?? 'HEAD';
  if (!/^[A-Za-z0-9][A-Za-z0-9._/^~-]*$/.test(rev)) throw new Error(`refusing revision ${JSON.stringify(rev)}`);
  const { stdout } = await git(req.repoPath, ['ls-tree', '-z', '--name-only', rev, '--', ...UPDATE_REPO_FOLDERS.map((f) => `${f}/`)]);
  const folders = Object.fromEntries(UPDATE_REPO_FOLDERS.map((f) => [f, [] as string[]])) as Record<UpdateFolder, string[]>;
  for (const name of stdout.split('\0')) {
    const m = /^([^/]+)\/(.+)\.yml$/.exec(name);
    const folder = m?.[1] as UpdateFolder | undefined;
    if (folder !== undefined && folder in folders && m?.[2] !== undefined && isSafeName(m[2])) folders[folder].push(m[2]);
  }
  for (const ids of Object.values(folders)) ids.sort();
  return folders;
}

/** The update ids in one lifecycle folder at HEAD (`updates/hkvc.yml` -> `hkvc`), sorted. */
export async function listFolder(req: { repoPath: string; folder: UpdateFolder; rev?: string }): Promise<string[]> {
  if (!(UPDATE_REPO_FOLDERS as readonly string[]).includes(req.folder)) {
    throw new Error(`unknown folder ${JSON.stringify(req.folder)}: one of ${UPDATE_REPO_FOLDERS.join(', ')}`);
  }
  return (await listFolders(req))[req.folder];
}

/** The commit HEAD points at: the snapshot phase2 takes. Read from .git where it can be, else asked of git. */
export async function headCommit(repoPath: string): Promise<string> {
  return headCommitId(repoPath) ?? (await git(repoPath, ['rev-parse', '--verify', 'HEAD'])).stdout.trim();
}
