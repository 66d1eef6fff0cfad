import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { batchOf } from '../core/records/run-record.js';
import { headCommitId, listFolders } from '../drivers/repo/index.js';
import type { Store } from '../store/index.js';
import { FOLDERS } from './schemas.js';

export type Folder = (typeof FOLDERS)[number];
export type Folders = Readonly<Record<Folder, readonly string[]>>;

/** The folders of the last commits read, by repository and commit id: a commit's tree never changes. */
const foldersByCommit = new Map<string, Folders>();
const FOLDER_CACHE_SIZE = 16;

/**
 * The update ids in each folder of the update repository at HEAD (empty before its first
 * commit). Listed once per commit: every page and API read that shows the ladder or an
 * update's folder asks, and each listing is a `git ls-tree` process.
 */
export async function readFolders(repoPath: string): Promise<Folders> {
  const none = { updates: [], ready: [], pushed: [], failed: [] };
  if (!existsSync(join(repoPath, '.git'))) return none;
  const commit = headCommitId(repoPath);
  const key = commit === undefined ? undefined : `${repoPath}\0${commit}`;
  const cached = key === undefined ? undefined : foldersByCommit.get(key);
  if (cached) return cached;
  try {
    const folders = await listFolders({ repoPath });
    // Only when HEAD did not move while listing: the listing is of the commit keyed.
    if (key !== undefined && headCommitId(repoPath) === commit) {
      foldersByCommit.set(key, folders);
      if (foldersByCommit.size > FOLDER_CACHE_SIZE) foldersByCommit.delete(foldersByCommit.keys().next().value as string);
    }
    return folders;
  } catch {
    return none;
  }
}

export function folderOf(folders: Folders, id: string): Folder | null {
  return FOLDERS.find((f) => folders[f].includes(id)) ?? null;
}

export interface Ladder {
  readonly updates: number;
  readonly ready: number;
  readonly stage: { readonly runId: string; readonly updates: number } | null;
  readonly production: number;
  readonly failed: number;
}

/** The rungs with their counts: updates/ -> ready/ -> stage (a promote under way) -> production (pushed/). */
export async function readLadder(store: Store, repoPath: string): Promise<Ladder> {
  const folders = await readFolders(repoPath);
  const promoting = await store.activeRunOf('promote');
  let stage: Ladder['stage'] = null;
  if (promoting !== undefined) {
    const run = await store.getRun(promoting);
    stage = { runId: promoting, updates: run ? batchOf(run)?.length ?? 0 : 0 };
  }
  return { updates: folders.updates.length, ready: folders.ready.length, stage, production: folders.pushed.length, failed: folders.failed.length };
}
