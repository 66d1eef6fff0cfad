import { git } from './git.js';
import { snapshotUpdates } from './move-to-ready.js';

export interface SnapshotFile {
  readonly id: string;
  /** The git blob id: the move to ready/ checks the file is still this one. */
  readonly blob: string;
  readonly content: string;
}

/** The files of updates/ at HEAD, each with its blob id and content: what a phase2 tests. */
export async function snapshotFiles(repoPath: string): Promise<{ commit: string; files: SnapshotFile[] }> {
  const snapshot = await snapshotUpdates(repoPath);
  const files: SnapshotFile[] = [];
  for (const [id, blob] of snapshot.blobs) {
    files.push({ id, blob, content: (await git(repoPath, ['cat-file', 'blob', blob])).stdout });
  }
  return { commit: snapshot.commit, files };
}
