import { setTimeout as sleep } from 'node:timers/promises';
import { git, type GitResult } from './git.js';

/** How long to keep trying while another git process holds `.git/index.lock`. */
export interface IndexLockRetry { readonly attempts: number; readonly delayMs: number }
export const DEFAULT_INDEX_LOCK_RETRY: IndexLockRetry = { attempts: 20, delayMs: 100 };

export function isIndexLockError(error: unknown): boolean {
  return error instanceof Error && /index\.lock'?: File exists|Unable to create '.*index\.lock'/.test(error.message);
}

/**
 * Another process moved HEAD between our reading it and updating it: git refuses the
 * update (a compare-and-swap on the ref). Committing again builds on the new HEAD.
 */
export function isRefLockError(error: unknown): boolean {
  return error instanceof Error && /cannot lock ref|is at [0-9a-f]+ but expected|Unable to create '.*\.lock'/.test(error.message);
}

/**
 * Runs a git command that takes the index lock; when another process (another Sluice, a
 * human) holds it, waits a little and tries again. Git's own lock is the cross-process
 * serialisation; any other failure is thrown at once.
 */
export async function gitWithIndexLockRetry(
  cwd: string,
  args: readonly string[],
  opts: { input?: string; env?: Record<string, string> } = {},
  retry: IndexLockRetry = DEFAULT_INDEX_LOCK_RETRY,
): Promise<GitResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await git(cwd, args, opts);
    } catch (error) {
      if (!(isIndexLockError(error) || isRefLockError(error)) || attempt >= retry.attempts) throw error;
      await sleep(retry.delayMs * Math.min(attempt, 5));
    }
  }
}
