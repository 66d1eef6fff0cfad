import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { initUpdateRepo } from '../../src/drivers/repo/layout.js';
import { moveToReady, snapshotUpdates, type Snapshot } from '../../src/drivers/repo/move-to-ready.js';
import { mergeUpdate } from '../../src/drivers/repo/update-repo.js';
import { tempDir } from '../helpers/paths.js';

const CHILD = fileURLToPath(new URL('./move-to-ready-child.js', import.meta.url));
const IDS = Array.from({ length: 12 }, (_, i) => `u${String(i).padStart(3, '0')}`);
const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

/** Runs the move in a child and SIGKILLs it after `delayMs` (or lets it finish). */
function moveAndKill(repo: string, snapshotFile: string, runId: string, delayMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, repo, snapshotFile, runId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += String(d); });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`the move failed (${code}): ${err}`));
    });
  });
}

/** A repository with every update merged into updates/, and its snapshot saved for the child. */
async function prepared(t: { after: (fn: () => void) => void }): Promise<[string, string]> {
  const repo = join(tempDir(t), 'update-repo');
  await initUpdateRepo(repo);
  for (const id of IDS) {
    await mergeUpdate({ repoPath: repo, updateId: id, content: `notes: ${id}\nbuilds:\n  - {id: p-${id}-1-1.el7, repo: kilo, dist: el7}\n`, author: { name: `A ${id}`, email: `${id}@example.org` }, runId: `p1-${id}` });
  }
  const snapshot = await snapshotUpdates(repo);
  const snapshotFile = join(repo, '..', 'snapshot.json');
  writeFileSync(snapshotFile, JSON.stringify({ commit: snapshot.commit, blobs: [...snapshot.blobs] }));
  return [repo, snapshotFile];
}

async function snapshotOf(file: string): Promise<Snapshot> {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { commit: string; blobs: [string, string][] };
  return { commit: saved.commit, blobs: new Map(saved.blobs) };
}

test('SIGKILL during the move to ready/, then a restart: each update in exactly one folder, moved once', async (t) => {
  // Calibrate on this machine: the kills are spread over one uninterrupted move's duration.
  const calibration = await prepared(t);
  const started = Date.now();
  assert.equal(await moveAndKill(...calibration, 'r-p2-calibrate', 60_000), 'finished');
  const whole = Date.now() - started;
  const delays = Array.from({ length: 10 }, (_, k) => Math.round((whole * (k + 1)) / 11));
  let killedMidway = 0;
  for (const delay of delays) {
    const [repo, snapshotFile] = await prepared(t);
    const first = await moveAndKill(repo, snapshotFile, 'r-p2-kill', delay);
    const movedBefore = IDS.filter((id) => existsSync(join(repo, 'ready', `${id}.yml`))).length;
    if (first === 'killed' && movedBefore > 0 && movedBefore < IDS.length) killedMidway++;
    // The restart: the reporter runs again with the same run id, as the outbox makes it.
    const snapshot = await snapshotOf(snapshotFile);
    const again = await moveToReady({ repoPath: repo, snapshot, ids: IDS, runId: 'r-p2-kill' });
    assert.ok(again.every((m) => m.moved || m.why === 'already'), JSON.stringify(again));
    for (const id of IDS) {
      const where = ['updates', 'ready'].filter((f) => git(repo, 'ls-files', `${f}/${id}.yml`).trim() !== '');
      assert.deepEqual(where, ['ready'], `${id} after a kill at ${delay} ms`);
      assert.ok(!existsSync(join(repo, 'updates', `${id}.yml`)));
    }
    const moves = git(repo, 'log', '--format=%s').split('\n').filter((s) => s.startsWith('Move '));
    assert.equal(moves.length, IDS.length, `each update moved exactly once (kill at ${delay} ms)`);
    assert.equal(git(repo, 'status', '--porcelain'), '', `nothing stray after a kill at ${delay} ms`);
  }
  // The kills must really have landed in the middle of a move now and then.
  t.diagnostic(`${killedMidway} of ${delays.length} kills landed mid-move`);
  assert.ok(killedMidway >= 2, `only ${killedMidway} kills landed mid-move: the delays need adjusting`);
});
