import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initUpdateRepo } from '../../src/drivers/repo/layout.js';
import { moveToReady, snapshotUpdates } from '../../src/drivers/repo/move-to-ready.js';
import { listFolder, mergeUpdate } from '../../src/drivers/repo/update-repo.js';
import { tempDir } from '../helpers/paths.js';

const file = (notes: string, group = '') => `notes: ${notes}\n${group ? `group: ${group}\n` : ''}builds:\n  - {id: a-1-1.el7, repo: kilo, dist: el7}\n`;
const log = (repo: string) => execFileSync('git', ['-C', repo, 'log', '--format=%s|%an|%cn|%b'], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '');

async function repoWith(t: { after: (fn: () => void) => void }, updates: Record<string, { text: string; author: string }>): Promise<string> {
  const repo = join(tempDir(t), 'update-repo');
  await initUpdateRepo(repo);
  let n = 0;
  for (const [id, u] of Object.entries(updates)) {
    await mergeUpdate({ repoPath: repo, updateId: id, content: u.text, author: { name: u.author, email: `${u.author.toLowerCase()}@example.org` }, runId: `r-p1-${n++}` });
  }
  return repo;
}

describe('moving tested updates to ready/', () => {
  it('moves each update of the snapshot in its own commit, keeping its author', async (t) => {
    const repo = await repoWith(t, { aaaa: { text: file('one'), author: 'Alan' }, bbbb: { text: file('two'), author: 'Jakub' } });
    const snapshot = await snapshotUpdates(repo);
    const moved = await moveToReady({ repoPath: repo, snapshot, ids: ['aaaa', 'bbbb'], runId: 'r-p2-1' });
    assert.deepEqual(moved.map((m) => [m.id, m.moved]), [['aaaa', true], ['bbbb', true]]);
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'ready' }), ['aaaa', 'bbbb']);
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'updates' }), []);
    assert.deepEqual(log(repo).slice(0, 2), ['Move bbbb to ready/|Jakub|Sluice|Sluice-Run: r-p2-1', 'Move aaaa to ready/|Alan|Sluice|Sluice-Run: r-p2-1']);
  });

  it('leaves an update edited or removed since the snapshot for the next phase2', async (t) => {
    const repo = await repoWith(t, { aaaa: { text: file('one'), author: 'Alan' }, bbbb: { text: file('two'), author: 'Jakub' } });
    const snapshot = await snapshotUpdates(repo);
    await mergeUpdate({ repoPath: repo, updateId: 'bbbb', content: file('two, fixed'), author: { name: 'Jakub', email: 'jakub@example.org' }, runId: 'r-p1-9' });
    const moved = await moveToReady({ repoPath: repo, snapshot, ids: ['aaaa', 'bbbb', 'cccc'], runId: 'r-p2-2' });
    assert.deepEqual(moved.map((m) => (m.moved ? [m.id, 'moved'] : [m.id, m.why])), [['aaaa', 'moved'], ['bbbb', 'changed'], ['cccc', 'gone']]);
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'updates' }), ['bbbb']);
  });

  it('moves nothing twice when a run resumes, and undoes a move interrupted before its commit', async (t) => {
    const repo = await repoWith(t, { aaaa: { text: file('one'), author: 'Alan' }, bbbb: { text: file('two'), author: 'Jakub' } });
    const snapshot = await snapshotUpdates(repo);
    await moveToReady({ repoPath: repo, snapshot, ids: ['aaaa'], runId: 'r-p2-3' });
    // What a SIGKILL between `git mv` and the commit leaves behind.
    execFileSync('git', ['-C', repo, 'mv', 'updates/bbbb.yml', 'ready/bbbb.yml']);
    const again = await moveToReady({ repoPath: repo, snapshot, ids: ['aaaa', 'bbbb'], runId: 'r-p2-3' });
    assert.deepEqual(again.map((m) => (m.moved ? [m.id, 'moved'] : [m.id, m.why])), [['aaaa', 'already'], ['bbbb', 'moved']]);
    assert.equal(log(repo).filter((l) => l.startsWith('Move aaaa')).length, 1);
    assert.equal(execFileSync('git', ['-C', repo, 'status', '--porcelain'], { encoding: 'utf8' }), '', 'nothing left staged or stray');
  });

  it('moves an update with a group to the folder it names', async (t) => {
    const repo = await repoWith(t, { aaaa: { text: file('one', 'liberty-batch'), author: 'Alan' } });
    const moved = await moveToReady({ repoPath: repo, snapshot: await snapshotUpdates(repo), ids: ['aaaa'], runId: 'r-p2-4' });
    assert.deepEqual(moved, [{ id: 'aaaa', moved: true, folder: 'liberty-batch', commit: moved[0]!.moved ? moved[0]!.commit : '' }]);
    assert.match(log(repo)[0]!, /^Move aaaa to liberty-batch\/\|Alan/);
  });
});
