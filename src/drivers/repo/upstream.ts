import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunReporter } from '../../engine/engine.js';
import { git, identityEnv, SLUICE_IDENTITY } from './git.js';
import { commitLayout } from './layout.js';
import { currentBranch, hasRemote, pushWithRebase } from './push.js';
import { assertBranch, withRepository } from './update-repo.js';

/**
 * The shared repository the working copy follows (`upstream:` of sluice.yaml): where
 * packagers' and Gerrit's merges arrive and where Sluice's own commits go.
 */
export interface Upstream {
  /** Cloned from when the working copy does not exist yet; added as `remote` if it lacks one. */
  readonly url?: string;
  readonly remote: string;
  /** The branch followed; the working copy's current branch when absent. */
  readonly branch?: string;
  /** Push Sluice's commits (New/Update, Move, Push, Fail) after each report. */
  readonly push: boolean;
}

export type PullResult = 'up-to-date' | 'fast-forward' | 'rebased' | 'ahead' | 'no-upstream-branch';

/** A remote or the upstream branch that cannot be followed: the message says which and why. */
export class UpstreamError extends Error {}

/**
 * Makes the working copy exist: a clone of `url` when given (an empty upstream gets the
 * lifecycle layout as its first commit, pushed by the next report), otherwise a new local
 * repository; then checks that the remote is there.
 */
export async function ensureWorkingCopy(repoPath: string, upstream: Upstream): Promise<void> {
  if (!existsSync(join(repoPath, '.git'))) {
    if (upstream.url === undefined) throw new UpstreamError(`${repoPath} is not a git repository and upstream.url is not set: clone the update repository there, or set upstream.url`);
    mkdirSync(dirname(repoPath), { recursive: true });
    await git(dirname(repoPath), ['clone', '--quiet', '--origin', upstream.remote, ...(upstream.branch ? ['--branch', upstream.branch] : []), '--', upstream.url, repoPath])
      .catch((e: Error) => { throw new UpstreamError(`cannot clone upstream.url into ${repoPath}: ${e.message}`); });
    if (!(await hasCommit(repoPath))) {
      if (upstream.branch) await git(repoPath, ['checkout', '--quiet', '-b', upstream.branch]);
      await commitLayout(repoPath);
    }
  }
  if (!(await hasRemote(repoPath, upstream.remote))) {
    if (upstream.url === undefined) throw new UpstreamError(`the update repository ${repoPath} has no remote "${upstream.remote}" (upstream.remote): add it with git remote add, or set upstream.url`);
    await git(repoPath, ['remote', 'add', '--', upstream.remote, upstream.url]);
  }
}

async function hasCommit(repoPath: string): Promise<boolean> {
  return git(repoPath, ['rev-parse', '--verify', '--quiet', 'HEAD']).then(() => true, () => false);
}

async function branchOf(repoPath: string, upstream: Upstream): Promise<string> {
  const branch = upstream.branch ?? (await currentBranch(repoPath));
  assertBranch(branch);
  return branch;
}

async function isAncestor(repoPath: string, a: string, b: string): Promise<boolean> {
  return git(repoPath, ['merge-base', '--is-ancestor', a, b]).then(() => true, () => false);
}

const rev = async (repoPath: string, name: string) => (await git(repoPath, ['rev-parse', '--verify', `${name}^{commit}`])).stdout.trim();

/**
 * Brings the working copy up to the upstream branch: a fast-forward, or Sluice's unpushed
 * commits rebased on top (authors kept). A rebase that conflicts is aborted and thrown,
 * leaving the working copy as it was. A branch the upstream does not have yet is
 * created by the next push.
 */
export async function pullUpstream(repoPath: string, upstream: Upstream): Promise<PullResult> {
  await ensureWorkingCopy(repoPath, upstream);
  return withRepository(repoPath, async () => {
    const branch = await branchOf(repoPath, upstream);
    try {
      await git(repoPath, ['fetch', '--quiet', '--', upstream.remote, `refs/heads/${branch}`]);
    } catch (e) {
      if (/couldn't find remote ref/i.test((e as Error).message)) return 'no-upstream-branch';
      throw new UpstreamError(`cannot fetch ${upstream.remote}/${branch}: ${(e as Error).message}`, { cause: e });
    }
    const [head, theirs] = [await rev(repoPath, 'HEAD'), await rev(repoPath, 'FETCH_HEAD')];
    if (head === theirs) return 'up-to-date';
    if (await isAncestor(repoPath, head, theirs)) {
      await git(repoPath, ['merge', '--quiet', '--ff-only', theirs]);
      return 'fast-forward';
    }
    if (await isAncestor(repoPath, theirs, head)) return 'ahead';
    try {
      await git(repoPath, ['rebase', '--quiet', theirs], { env: identityEnv(SLUICE_IDENTITY) });
    } catch (e) {
      await git(repoPath, ['rebase', '--abort']).catch(() => undefined);
      throw new UpstreamError(`cannot follow ${upstream.remote}/${branch}: Sluice's unpushed commits conflict with it; the working copy is left unchanged`, { cause: e });
    }
    return 'rebased';
  });
}

/** Pushes what Sluice committed; someone else's push meanwhile is rebased onto (push.ts). */
export async function pushUpstream(repoPath: string, upstream: Upstream): Promise<void> {
  if (!upstream.push) return;
  await withRepository(repoPath, async () => {
    const branch = await branchOf(repoPath, upstream);
    await pushWithRebase(repoPath, branch, upstream.remote).catch((e: Error) => {
      throw new UpstreamError(`cannot push to ${upstream.remote}/${branch}: ${e.message}`, { cause: e });
    });
  });
}

/**
 * A reporter that writes the update repository, made to follow the upstream: it pulls
 * first (so a move sees what Gerrit or a packager merged meanwhile), then reports, then
 * pushes. A failed pull or push throws, so the run stays in the outbox and the whole
 * report is tried again at the next sweep; the reporters below are idempotent, and a
 * commit made before a crash is pushed by the repeat.
 */
export function followingUpstream(reporter: RunReporter, opts: { repoPath: string; upstream: Upstream; pipelines: readonly string[] }): RunReporter {
  return {
    async report(run, jobs) {
      if (!opts.pipelines.includes(run.pipeline)) return;
      await pullUpstream(opts.repoPath, opts.upstream);
      await reporter.report(run, jobs);
      await pushUpstream(opts.repoPath, opts.upstream);
    },
  };
}
