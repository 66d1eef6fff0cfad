import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { git, identityEnv } from '../../src/drivers/repo/git.js';
import { initUpdateRepo } from '../../src/drivers/repo/layout.js';
import { headCommit, listFolder, mergeUpdate, type MergeUpdateRequest } from '../../src/drivers/repo/update-repo.js';
import { tempDir } from '../helpers/paths.js';

const AUTHOR = { name: 'Jakub Ruzicka', email: 'jruzicka@example.com' };
const CONTENT = 'notes: fix nova\nbuilds:\n- id: openstack-nova-2014.2-1.el7\n  repo: juno\n  dist: epel-7\n';

async function newRepo(t: { after: (fn: () => void) => void }): Promise<string> {
  const repo = join(tempDir(t), 'updates-repo');
  await initUpdateRepo(repo);
  return repo;
}

function req(repoPath: string, extra: Partial<MergeUpdateRequest> = {}): MergeUpdateRequest {
  return { repoPath, updateId: 'hkvc', content: CONTENT, author: AUTHOR, runId: 'run-1', ...extra };
}

async function show(repo: string, rev: string, format: string): Promise<string> {
  return (await git(repo, ['show', '-s', `--format=${format}`, rev])).stdout.trim();
}

async function commitCount(repo: string): Promise<number> {
  return Number((await git(repo, ['rev-list', '--count', 'HEAD'])).stdout.trim());
}

describe('merging an update into updates/', () => {
  it('commits updates/<id>.yml as "New <id>", the update author as author, Sluice as committer, the run as trailer', async (t) => {
    const repo = await newRepo(t);
    const r = await mergeUpdate(req(repo));
    assert.equal(r.ok, true);
    assert.equal(r.already, false);
    assert.equal(r.commit, await headCommit(repo));
    assert.equal(await show(repo, r.commit, '%s'), 'New hkvc');
    assert.equal(await show(repo, r.commit, '%an <%ae>'), 'Jakub Ruzicka <jruzicka@example.com>');
    assert.equal(await show(repo, r.commit, '%cn <%ce>'), 'Sluice <sluice@localhost>');
    assert.equal(await show(repo, r.commit, '%(trailers:key=Sluice-Run,valueonly)'), 'run-1');
    assert.equal((await git(repo, ['show', `${r.commit}:updates/hkvc.yml`])).stdout, CONTENT);
    assert.equal((await git(repo, ['show', '--name-only', '--format=', r.commit])).stdout.trim(), 'updates/hkvc.yml');
    assert.equal((await git(repo, ['status', '--porcelain'])).stdout, '', 'a clean working copy, no temp file left');
  });

  it('is idempotent by run id: a second call with the same run commits nothing and returns the first commit', async (t) => {
    const repo = await newRepo(t);
    const first = await mergeUpdate(req(repo));
    const before = await commitCount(repo);
    const again = await mergeUpdate(req(repo));
    assert.deepEqual(again, { ok: true, commit: first.commit, already: true, pushed: false });
    assert.equal(await commitCount(repo), before);
  });

  it('finds the run commit even when HEAD moved on, and does not match a run id by prefix', async (t) => {
    const repo = await newRepo(t);
    const first = await mergeUpdate(req(repo, { runId: 'run-1' }));
    await mergeUpdate(req(repo, { updateId: 'other', runId: 'run-2' }));
    // The same run resumed after a crash, with content changed meanwhile: still nothing new.
    const resumed = await mergeUpdate(req(repo, { runId: 'run-1', content: 'notes: changed\n' }));
    assert.equal(resumed.commit, first.commit);
    assert.equal(resumed.already, true);
    // run-1 is a prefix of run-10, which has not committed yet: it must not be mistaken for it.
    const r10 = await mergeUpdate(req(repo, { runId: 'run-10', content: 'notes: changed\n' }));
    assert.equal(r10.already, false);
    assert.equal(await show(repo, r10.commit, '%s'), 'Update hkvc');
  });

  it('commits nothing when the same content is already there from another run', async (t) => {
    const repo = await newRepo(t);
    const first = await mergeUpdate(req(repo, { runId: 'run-a' }));
    const before = await commitCount(repo);
    const other = await mergeUpdate(req(repo, { runId: 'run-b', author: { name: 'Someone Else', email: 'se@example.com' } }));
    assert.deepEqual(other, { ok: true, commit: first.commit, already: true, pushed: false });
    assert.equal(await commitCount(repo), before);
    assert.equal((await git(repo, ['status', '--porcelain'])).stdout, '');
  });

  it('commits a changed update as "Update <id>"', async (t) => {
    const repo = await newRepo(t);
    await mergeUpdate(req(repo, { runId: 'run-a' }));
    const changed = CONTENT.replace('2014.2-1', '2014.2-2');
    const r = await mergeUpdate(req(repo, { runId: 'run-b', content: changed }));
    assert.equal(r.already, false);
    assert.equal(await show(repo, r.commit, '%s'), 'Update hkvc');
    assert.equal(await show(repo, r.commit, '%(trailers:key=Sluice-Run,valueonly)'), 'run-b');
    assert.equal(readFileSync(join(repo, 'updates/hkvc.yml'), 'utf8'), changed);
  });

  it('refuses hostile update ids, naming them, and writes nothing', async (t) => {
    const repo = await newRepo(t);
    const head = await headCommit(repo);
    for (const id of ['../x', 'a/b', '$(id)', '', '-rf', '.hidden', 'a..b', 'x'.repeat(65), 'a\nb']) {
      await assert.rejects(() => mergeUpdate(req(repo, { updateId: id })), (e: Error) => e.message.includes(JSON.stringify(id)), `id ${JSON.stringify(id)}`);
    }
    assert.equal(await headCommit(repo), head);
    assert.deepEqual(readdirSync(join(repo, 'updates')), ['.gitkeep']);
    assert.equal(existsSync(join(repo, 'x')), false);
  });

  it('refuses a run id or author that could forge message lines or identities', async (t) => {
    const repo = await newRepo(t);
    await assert.rejects(() => mergeUpdate(req(repo, { runId: 'r1\nSluice-Run: r2' })), /run id/);
    await assert.rejects(() => mergeUpdate(req(repo, { runId: '' })), /run id/);
    await assert.rejects(() => mergeUpdate(req(repo, { author: { name: 'x>', email: 'a@b' } })), /author/);
  });

  it('stores content with shell metacharacters and a leading "-" byte for byte', async (t) => {
    const repo = await newRepo(t);
    const hostile = '--amend\n$(touch pwned) `touch pwned2`; rm -rf / | & > < \' " \\ \r\n\ttab\u00e9\u0000end';
    const r = await mergeUpdate(req(repo, { content: hostile }));
    assert.equal(r.already, false);
    assert.deepEqual(readFileSync(join(repo, 'updates/hkvc.yml')), Buffer.from(hostile, 'utf8'));
    const stored = await git(repo, ['cat-file', 'blob', `${r.commit}:updates/hkvc.yml`]);
    assert.equal(stored.stdout, hostile);
    assert.equal(existsSync(join(repo, 'pwned')), false);
    assert.equal(existsSync(join(repo, 'pwned2')), false);
    // Raw bytes (not valid UTF-8) are kept as well.
    const bytes = Uint8Array.from([0x2d, 0xff, 0xfe, 0x0a, 0x00, 0x24]);
    const rb = await mergeUpdate(req(repo, { updateId: 'raw', content: bytes, runId: 'run-raw' }));
    assert.deepEqual(new Uint8Array(readFileSync(join(repo, 'updates/raw.yml'))), bytes);
    const size = (await git(repo, ['cat-file', '-s', `${rb.commit}:updates/raw.yml`])).stdout.trim();
    assert.equal(size, String(bytes.length));
  });

  it('lands 5 concurrent merges of different updates into one repository: 5 commits, no file lost', async (t) => {
    const repo = await newRepo(t);
    const before = await commitCount(repo);
    const ids = ['u1', 'u2', 'u3', 'u4', 'u5'];
    const results = await Promise.all(ids.map((id) => mergeUpdate(req(repo, { updateId: id, runId: `run-${id}`, content: `notes: ${id}\n` }))));
    assert.equal(results.every((r) => !r.already), true);
    assert.equal(new Set(results.map((r) => r.commit)).size, 5);
    assert.equal(await commitCount(repo), before + 5);
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'updates' }), ids);
    for (const id of ids) assert.equal((await git(repo, ['show', `HEAD:updates/${id}.yml`])).stdout, `notes: ${id}\n`);
    assert.equal((await git(repo, ['status', '--porcelain'])).stdout, '');
  });

  it('waits for another process holding .git/index.lock, then commits', async (t) => {
    const repo = await newRepo(t);
    const lock = join(repo, '.git', 'index.lock');
    writeFileSync(lock, '');
    const released = new Promise<void>((done) => setTimeout(() => { rmSync(lock); done(); }, 300));
    const r = await mergeUpdate(req(repo));
    await released;
    assert.equal(r.already, false);
    assert.equal(await show(repo, r.commit, '%s'), 'New hkvc');
  });

  it('commits only its own file, whatever else is staged in the working copy', async (t) => {
    const repo = await newRepo(t);
    writeFileSync(join(repo, 'README.md'), 'someone was editing\n');
    await git(repo, ['add', 'README.md']);
    const r = await mergeUpdate(req(repo));
    assert.equal((await git(repo, ['show', '--name-only', '--format=', r.commit])).stdout.trim(), 'updates/hkvc.yml');
  });
});

describe('pushing the update repository', () => {
  async function withOrigin(t: { after: (fn: () => void) => void }): Promise<{ origin: string; repo: string; dir: string }> {
    const dir = tempDir(t);
    const seed = join(dir, 'seed');
    await initUpdateRepo(seed);
    const origin = join(dir, 'origin.git');
    await git(dir, ['init', '--quiet', '--bare', origin]);
    await git(seed, ['push', '--quiet', origin, 'master']);
    const repo = join(dir, 'work');
    await git(dir, ['clone', '--quiet', origin, repo]);
    return { origin, repo, dir };
  }

  it('pushes to origin after committing', async (t) => {
    const { origin, repo } = await withOrigin(t);
    const r = await mergeUpdate(req(repo, { push: true }));
    assert.equal(r.pushed, true);
    assert.equal((await git(origin, ['rev-parse', 'master'])).stdout.trim(), r.commit);
    assert.equal((await git(origin, ['show', 'master:updates/hkvc.yml'])).stdout, CONTENT);
  });

  it('does not push without push: true, nor without an origin', async (t) => {
    const { origin, repo } = await withOrigin(t);
    const before = (await git(origin, ['rev-parse', 'master'])).stdout.trim();
    const r = await mergeUpdate(req(repo));
    assert.equal(r.pushed, false);
    assert.equal((await git(origin, ['rev-parse', 'master'])).stdout.trim(), before);
    const lonely = await newRepo(t);
    assert.equal((await mergeUpdate(req(lonely, { push: true }))).pushed, false);
  });

  it('after a rejected push (someone else pushed first) fetches, rebases and pushes again', async (t) => {
    const { origin, repo, dir } = await withOrigin(t);
    const other = join(dir, 'other');
    await git(dir, ['clone', '--quiet', origin, other]);
    writeFileSync(join(other, 'updates', 'theirs.yml'), 'notes: theirs\n');
    await git(other, ['add', '--', 'updates/theirs.yml']);
    await git(other, ['commit', '--quiet', '-m', 'New theirs'], { env: identityEnv({ name: 'Other', email: 'other@example.com' }) });
    await git(other, ['push', '--quiet', 'origin', 'HEAD:master']);
    const theirs = (await git(other, ['rev-parse', 'HEAD'])).stdout.trim();

    const r = await mergeUpdate(req(repo, { push: true, runId: 'run-push' }));
    assert.equal(r.pushed, true);
    assert.equal(r.already, false);
    const tip = (await git(origin, ['rev-parse', 'master'])).stdout.trim();
    assert.equal(tip, r.commit, 'the returned commit is the rebased one that origin has');
    assert.equal((await git(origin, ['rev-parse', 'master^'])).stdout.trim(), theirs);
    assert.equal(await show(origin, 'master', '%s'), 'New hkvc');
    assert.equal(await show(origin, 'master', '%an|%cn'), 'Jakub Ruzicka|Sluice');
    assert.equal(await show(origin, 'master', '%(trailers:key=Sluice-Run,valueonly)'), 'run-push');
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'updates' }), ['hkvc', 'theirs']);
    // Resuming the same run: nothing new is committed or pushed.
    const again = await mergeUpdate(req(repo, { push: true, runId: 'run-push' }));
    assert.deepEqual(again, { ok: true, commit: r.commit, already: true, pushed: true });
    assert.equal((await git(origin, ['rev-parse', 'master'])).stdout.trim(), tip);
  });

  async function pushFromOther(dir: string, origin: string, id: string, content: string): Promise<string> {
    const other = join(dir, `other-${id}`);
    await git(dir, ['clone', '--quiet', origin, other]);
    writeFileSync(join(other, 'updates', `${id}.yml`), content);
    await git(other, ['add', '--', `updates/${id}.yml`]);
    await git(other, ['commit', '--quiet', '-m', `New ${id}`], { env: identityEnv({ name: 'Other', email: 'other@example.com' }) });
    await git(other, ['push', '--quiet', 'origin', 'HEAD:master']);
    return (await git(other, ['rev-parse', 'HEAD'])).stdout.trim();
  }

  it('when someone else pushed the same file meanwhile, the rebase drops ours and reports already', async (t) => {
    const { origin, repo, dir } = await withOrigin(t);
    const theirs = await pushFromOther(dir, origin, 'hkvc', CONTENT);
    const r = await mergeUpdate(req(repo, { push: true, runId: 'run-dup' }));
    assert.deepEqual(r, { ok: true, commit: theirs, already: true, pushed: true });
    assert.equal((await git(origin, ['rev-parse', 'master'])).stdout.trim(), theirs);
  });

  it('a rebase conflict (a different version pushed meanwhile) is aborted and thrown, leaving no rebase behind', async (t) => {
    const { origin, repo, dir } = await withOrigin(t);
    const theirs = await pushFromOther(dir, origin, 'hkvc', 'notes: theirs\n');
    await assert.rejects(() => mergeUpdate(req(repo, { push: true, runId: 'run-conflict' })), /conflicts/);
    assert.equal((await git(origin, ['rev-parse', 'master'])).stdout.trim(), theirs);
    assert.equal(existsSync(join(repo, '.git', 'rebase-merge')) || existsSync(join(repo, '.git', 'rebase-apply')), false);
    assert.equal((await git(repo, ['status', '--porcelain'])).stdout, '');
  });

  it('a resumed run whose commit was made but not pushed pushes it without committing again', async (t) => {
    const { origin, repo } = await withOrigin(t);
    const local = await mergeUpdate(req(repo, { runId: 'run-crash' }));
    const resumed = await mergeUpdate(req(repo, { runId: 'run-crash', push: true }));
    assert.deepEqual(resumed, { ok: true, commit: local.commit, already: true, pushed: true });
    assert.equal((await git(origin, ['rev-parse', 'master'])).stdout.trim(), local.commit);
  });
});

describe('reading the update repository', () => {
  it('lists the update ids of a folder at HEAD, and the head commit', async (t) => {
    const repo = await newRepo(t);
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'updates' }), []);
    await mergeUpdate(req(repo, { updateId: 'b', runId: 'rb' }));
    await mergeUpdate(req(repo, { updateId: 'a', runId: 'ra' }));
    writeFileSync(join(repo, 'updates', 'uncommitted.yml'), 'notes: x\n');
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'updates' }), ['a', 'b']);
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'ready' }), []);
    await assert.rejects(() => listFolder({ repoPath: repo, folder: '../x' as 'updates' }), /unknown folder/);
    assert.match(await headCommit(repo), /^[0-9a-f]{40,64}$/);
  });

  it('ignores pushed/<id>.yml.files lists', async (t) => {
    const repo = await newRepo(t);
    writeFileSync(join(repo, 'pushed', 'p1.yml'), 'notes: p\n');
    writeFileSync(join(repo, 'pushed', 'p1.yml.files'), 'a.rpm\n');
    await git(repo, ['add', '--', 'pushed/p1.yml', 'pushed/p1.yml.files']);
    await git(repo, ['commit', '--quiet', '-m', 'Push ready/p1'], { env: identityEnv(AUTHOR) });
    assert.deepEqual(await listFolder({ repoPath: repo, folder: 'pushed' }), ['p1']);
  });
});
