// Run by move-to-ready-kill.test.ts in a child process that the test SIGKILLs at a random
// moment: moves every update of the snapshot given in argv to ready/.
import { readFileSync } from 'node:fs';
import { moveToReady } from '../../src/drivers/repo/move-to-ready.js';

// `node --test dist/test/` runs every file it finds, this one too: without arguments it does nothing.
const [repoPath, snapshotFile, runId] = process.argv.slice(2);
if (repoPath && snapshotFile && runId) {
  const saved = JSON.parse(readFileSync(snapshotFile, 'utf8')) as { commit: string; blobs: [string, string][] };
  await moveToReady({ repoPath, runId, snapshot: { commit: saved.commit, blobs: new Map(saved.blobs) }, ids: saved.blobs.map(([id]) => id) });
  process.stdout.write('done\n');
}
