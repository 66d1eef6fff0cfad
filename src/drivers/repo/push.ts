import { git, identityEnv, SLUICE_IDENTITY } from './git.js';

export const DEFAULT_PUSH_ATTEMPTS = 3;

/** A push the remote refused because it has commits we lack (someone else pushed first). */
export function isNonFastForward(error: unknown): boolean {
  return error instanceof Error && /\[rejected\]|non-fast-forward|fetch first|\(stale info\)/.test(error.message);
}

export async function hasRemote(repoPath: string, name: string): Promise<boolean> {
  const { stdout } = await git(repoPath, ['remote']);
  return stdout.split('\n').includes(name);
}

export async function currentBranch(repoPath: string): Promise<string> {
  const { stdout } = await git(repoPath, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return stdout.trim();
}

/**
 * `git push origin HEAD:<branch>`; when refused because the remote moved on, fetches,
 * rebases our commits onto it (authors kept, Sluice as committer) and tries again, up to
 * `attempts` pushes in all. A rebase conflict is aborted and thrown: the working copy is
 * left as it was before the rebase.
 */
export async function pushWithRebase(repoPath: string, branch: string, remote = 'origin', attempts = DEFAULT_PUSH_ATTEMPTS): Promise<void> {
  const env = identityEnv(SLUICE_IDENTITY);
  for (let attempt = 1; ; attempt++) {
    try {
      await git(repoPath, ['push', '--quiet', '--', remote, `HEAD:refs/heads/${branch}`], { env });
      return;
    } catch (error) {
      if (!isNonFastForward(error) || attempt >= attempts) throw error;
    }
    await git(repoPath, ['fetch', '--quiet', '--', remote, `refs/heads/${branch}`], { env });
    try {
      await git(repoPath, ['rebase', '--quiet', 'FETCH_HEAD'], { env });
    } catch (error) {
      await git(repoPath, ['rebase', '--abort']).catch(() => undefined);
      throw new Error(`cannot push to ${remote}/${branch}: rebasing onto it conflicts; the working copy is left unchanged`, { cause: error });
    }
  }
}
