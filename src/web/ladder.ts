import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listFolder } from '../drivers/repo/update-repo.js';
import type { Store } from '../store/index.js';
import { FOLDERS } from './schemas.js';

export type Folder = (typeof FOLDERS)[number];
export type Folders = Readonly<Record<Folder, readonly string[]>>;

/** The update ids in each folder of the update repository at HEAD (empty before its first commit). */
export async function readFolders(repoPath: string): Promise<Folders> {
  const none = { updates: [], ready: [], pushed: [], failed: [] };
  if (!existsSync(join(repoPath, '.git'))) return none;
  try {
    const lists = await Promise.all(FOLDERS.map((folder) => listFolder({ repoPath, folder })));
    return { updates: lists[0] ?? [], ready: lists[1] ?? [], pushed: lists[2] ?? [], failed: lists[3] ?? [] };
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
    const ready = (run?.inputs as { ready?: readonly unknown[] } | null)?.ready;
    stage = { runId: promoting, updates: ready?.length ?? 0 };
  }
  return { updates: folders.updates.length, ready: folders.ready.length, stage, production: folders.pushed.length, failed: folders.failed.length };
}
