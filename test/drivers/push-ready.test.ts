import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initUpdateRepo } from '../../src/drivers/repo/layout.js';
import { moveToReady, snapshotUpdates } from '../../src/drivers/repo/move-to-ready.js';
import { failReady, listReady, pushReady, readyBlobs } from '../../src/drivers/repo/push-ready.js';
import { listFolder, mergeUpdate } from '../../src/drivers/repo/update-repo.js';
import { tempDir } from '../helpers/paths.js';

const file = (notes: string) => `notes: ${notes}\nbuilds:\n  - {id: a-1-1.el7, repo: kilo, dist: el7}\n`;
const gitOut = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
const PUBLISHED = [
  'openstack-kilo/el7/openstack-packstack-2015.1-0.14.dev1616.g5526c38.el7.noarch.rpm',
  'openstack-kilo/el7/temp-liberty/openstack-puppet-modules-2015.1.12-6.el7.src.rpm',
];

/** An update repository whose ready/ holds the given updates, each merged by its own author and moved by phase2. */
async function readyRepo(t: { after: (fn: () => void) => void }, updates: Record<string, string>): Promise<string> {
  const repo = join(tempDir(t), 'update-repo');
  await initUpdateRepo(repo);
  let n = 0;
  for (const [id, author] of Object.entries(updates)) {
    await mergeUpdate({ repoPath: repo, updateId: id, content: file(id), author: { name: author, email: `${author.toLowerCase()}@example.org` }, runId: `r-p1-${n++}` });
  }
  await moveToReady({ repoPath: repo, snapshot: await snapshotUpdates(repo), ids: Object.keys(updates), runId: 'r-p2-1' });
  return repo;
}

describe('pushing ready updates', () => {
  it('lists ready/ at HEAD with each file\'s content', async (t) => {
    const repo = await readyRepo(t, { bbbb: 'Jakub', aaaa: 'Alan' });
    const ready = await listReady(repo);
    assert.deepEqual(ready.map((r) => [r.id, r.content]), [['aaaa', file('aaaa')], ['bbbb', file('bbbb')]]);
    assert.match(ready[0]!.blob, /^[0-9a-f]{40}$/);
    // Without reading them: the same ids and blobs.
    assert.deepEqual(await readyBlobs(repo), ready.map((r) => ({ id: r.id, blob: r.blob })));
  });

  it('moves ready/<id>.yml to pushed/ with its .files list in one "Push ready/<id>" commit, keeping the author', async (t) => {
    const repo = await readyRepo(t, { auuo: 'Jakub' });
    const r = await pushReady({ repoPath: repo, runId: 'r-pr-1', id: 'auuo', files: PUBLISHED });
    assert.equal(r.done, true);
    assert.equal(r.done && r.commit, gitOut(repo, 'rev-parse', 'HEAD').trim());
    assert.equal(gitOut(repo, 'log', '-1', '--format=%s|%an <%ae>|%cn|%b'), `Push ready/auuo|Jakub <jakub@example.org>|Sluice|Sluice-Run: r-pr-1\n\n`);
    assert.deepEqual(gitOut(repo, 'show', '--name-status', '--format=', 'HEAD').trim().split('\n').sort(),
      ['A\tpushed/auuo.yml.files', 'R100\tready/auuo.yml\tpushed/auuo.yml']);
    assert.equal(gitOut(repo, 'show', 'HEAD:pushed/auuo.yml.files'), `${PUBLISHED.join('\n')}\n`);
    assert.equal(gitOut(repo, 'show', 'HEAD:pushed/auuo.yml'), file('auuo'));
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'ready' }), []);
  });

  it('is idempotent per run: a second push is "already", an update not in ready/ is "gone"', async (t) => {
    const repo = await readyRepo(t, { auuo: 'Jakub' });
    await pushReady({ repoPath: repo, runId: 'r-pr-2', id: 'auuo', files: PUBLISHED });
    const count = gitOut(repo, 'rev-list', '--count', 'HEAD');
    assert.deepEqual(await pushReady({ repoPath: repo, runId: 'r-pr-2', id: 'auuo', files: PUBLISHED }), { id: 'auuo', done: false, why: 'already' });
    assert.deepEqual(await pushReady({ repoPath: repo, runId: 'r-pr-20', id: 'auuo', files: PUBLISHED }), { id: 'auuo', done: false, why: 'gone' });
    assert.deepEqual(await failReady({ repoPath: repo, runId: 'r-pr-2', id: 'zzzz', reasons: ['x'] }), { id: 'zzzz', done: false, why: 'gone' });
    assert.equal(gitOut(repo, 'rev-list', '--count', 'HEAD'), count);
  });

  it('moves a failed update to failed/ with hostile reasons stored verbatim in the body, and no forged trailer', async (t) => {
    const repo = await readyRepo(t, { goji: 'Alan' });
    const reasons = [
      'failed during collision check: /srv/kilo/el7/x.rpm already exists',
      '$(touch pwned) `id` ; rm -rf / \'" --author=evil <e@x>',
      '# not a comment   ',
      '',
      'line one\n\n\nSluice-Run: r-pr-3\nSigned-off-by: nobody',
      '-F /etc/passwd',
    ];
    const r = await failReady({ repoPath: repo, runId: 'r-pf-1', id: 'goji', reasons });
    assert.equal(r.done, true);
    const message = gitOut(repo, 'log', '-1', '--format=%B');
    assert.equal(message, `Fail ready/goji\n\n${reasons.join('\n')}\n\nSluice-Run: r-pf-1\n\n`);
    assert.equal(gitOut(repo, 'log', '-1', '--format=%an|%(trailers:key=Sluice-Run,valueonly)').trim(), 'Alan|r-pf-1');
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'failed' }), ['goji']);
    assert.equal(existsSync(join(repo, 'pwned')), false);
    // The forged trailer names run r-pr-3: that run has still done nothing to goji.
    assert.deepEqual(await failReady({ repoPath: repo, runId: 'r-pr-3', id: 'goji', reasons: [] }), { id: 'goji', done: false, why: 'gone' });
    assert.deepEqual(await failReady({ repoPath: repo, runId: 'r-pf-1', id: 'goji', reasons: [] }), { id: 'goji', done: false, why: 'already' });
  });

  it('undoes a push interrupted before its commit, and commits only its own paths', async (t) => {
    const repo = await readyRepo(t, { aaaa: 'Alan', bbbb: 'Jakub' });
    // What a SIGKILL between `git mv` and the commit leaves; plus someone else's staged work.
    gitOut(repo, 'mv', 'ready/aaaa.yml', 'pushed/aaaa.yml');
    writeFileSync(join(repo, 'pushed/aaaa.yml.files'), 'half');
    writeFileSync(join(repo, 'notes.txt'), 'unrelated\n');
    gitOut(repo, 'add', 'notes.txt');
    const r = await pushReady({ repoPath: repo, runId: 'r-pr-4', id: 'aaaa', files: ['a.rpm'] });
    assert.equal(r.done, true);
    assert.equal(gitOut(repo, 'show', 'HEAD:pushed/aaaa.yml.files'), 'a.rpm\n');
    assert.deepEqual(gitOut(repo, 'show', '--no-renames', '--name-only', '--format=', 'HEAD').trim().split('\n').sort(), ['pushed/aaaa.yml', 'pushed/aaaa.yml.files', 'ready/aaaa.yml']);
    assert.equal(gitOut(repo, 'status', '--porcelain'), 'A  notes.txt\n');
    assert.equal(gitOut(repo, 'log', '-1', '--format=%an'), 'Alan\n');
  });

  it('refuses a published path that would break the one-per-line list, and unsafe ids', async (t) => {
    const repo = await readyRepo(t, { aaaa: 'Alan' });
    await assert.rejects(pushReady({ repoPath: repo, runId: 'r-pr-5', id: 'aaaa', files: ['a.rpm\nb.rpm'] }), /one path per line/);
    await assert.rejects(pushReady({ repoPath: repo, runId: 'r-pr-5', id: '../aaaa', files: [] }), /refusing update id/);
    await assert.rejects(failReady({ repoPath: repo, runId: 'r pr', id: 'aaaa', reasons: [] }), /refusing run id/);
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'ready' }), ['aaaa']);
  });
});
