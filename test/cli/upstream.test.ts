import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { mergeUpdate } from '../../src/drivers/repo/update-repo.js';
import { pullUpstream, pushUpstream, UpstreamError } from '../../src/drivers/repo/upstream.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makePhase2Site, type Phase2Site } from '../helpers/phase2-site.js';
import { buildRpm, requireRpmTools } from '../helpers/rpm.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const subjects = (repo: string) => git(repo, 'log', '--format=%s').split('\n');

/** The site's update repository moved to a bare "shared" repository; the working copy is cloned by Sluice itself. */
async function sharedSite(dir: string): Promise<{ site: Phase2Site; shared: string }> {
  const site = await makePhase2Site(dir);
  const shared = join(dir, 'shared.git');
  git(dir, 'clone', '--quiet', '--bare', site.repoPath, shared);
  rmSync(site.repoPath, { recursive: true });
  appendFileSync(join(site.dir, 'sluice.yaml'), 'upstream: { url: shared.git }\n');
  return { site, shared };
}

function buildUpdate(site: Phase2Site, id: string): string {
  const nvr = `python-${id}-1.0-1.el7`;
  buildRpm(join(site.dir, 'rpmbuild'), join(site.dir, 'builds', nvr), { name: `python-${id}`, version: '1.0', release: '1.el7' });
  return `notes: update ${id}\nbuilds:\n  - id: ${nvr}\n    repo: kilo\n    dist: el7\n`;
}

test('with upstream:, Sluice clones the shared repository, pushes its merges and moves, and phase2 sees what others merged there', async (t) => {
  if (!requireRpmTools(t)) return;
  const { site, shared } = await sharedSite(tempDir(t));

  writeFileSync(join(site.dir, 'mine.yml'), buildUpdate(site, 'mine'));
  const submitted = await runCli(['submit', 'mine.yml', '--author', 'Ann <ann@example.org>'], { cwd: site.dir });
  assert.equal(submitted.status, 0, submitted.stdout + submitted.stderr);
  assert.equal(subjects(shared)[0], 'New mine', 'the merge reached the shared repository');

  // A change merged upstream by someone else (Gerrit's submit, a packager's push).
  const elsewhere = join(site.dir, 'packager-clone');
  git(site.dir, 'clone', '--quiet', shared, elsewhere);
  await mergeUpdate({ repoPath: elsewhere, updateId: 'theirs', content: buildUpdate(site, 'theirs'), author: { name: 'Bob', email: 'bob@example.org' }, runId: 'gerrit-1' });
  git(elsewhere, 'push', '--quiet', 'origin', 'HEAD:master');

  const r = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /phase2 \S+: 2 updates \(mine theirs\)/, 'the snapshot held the update merged upstream');
  const log = subjects(shared);
  assert.deepEqual(log.slice(0, 2).sort(), ['Move mine to ready/', 'Move theirs to ready/'], 'both moves were pushed');
  assert.equal(log.filter((s) => s === 'New mine').length, 1, 'nothing was pushed twice');
  assert.equal(git(site.repoPath, 'status', '--porcelain'), '', 'the working copy is clean');
});

test('an upstream that cannot be fetched stops phase2 with exit 3 (E_UPSTREAM) naming the remote and branch', async (t) => {
  if (!requireRpmTools(t)) return;
  const { site, shared } = await sharedSite(tempDir(t));
  const first = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(first.status, 0, first.stdout + first.stderr);
  rmSync(shared, { recursive: true });
  const r = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stderr, /cannot fetch origin\/master/);
});

test('pulling rebases unpushed commits onto the upstream, and a conflict leaves the working copy as it was', async (t) => {
  const dir = tempDir(t);
  const shared = join(dir, 'shared.git');
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=master', shared);
  const upstream = { url: shared, remote: 'origin', push: true } as const;
  const mine = join(dir, 'mine');
  const theirs = join(dir, 'theirs');
  assert.equal(await pullUpstream(mine, upstream), 'no-upstream-branch', 'an empty upstream is cloned and laid out');
  await pushUpstream(mine, upstream);
  git(dir, 'clone', '--quiet', shared, theirs);
  const author = { name: 'P', email: 'p@example.org' };

  await mergeUpdate({ repoPath: theirs, updateId: 'a', content: 'notes: a\n', author, runId: 'r-a' });
  git(theirs, 'push', '--quiet', 'origin', 'HEAD:master');
  await mergeUpdate({ repoPath: mine, updateId: 'b', content: 'notes: b\n', author, runId: 'r-b' });
  assert.equal(await pullUpstream(mine, upstream), 'rebased');
  await pushUpstream(mine, upstream);
  assert.deepEqual(subjects(shared).slice(0, 2), ['New b', 'New a']);
  assert.equal(await pullUpstream(mine, upstream), 'up-to-date');

  await mergeUpdate({ repoPath: theirs, updateId: 'c', content: 'notes: theirs\n', author, runId: 'r-c1' });
  git(theirs, 'pull', '--quiet', '--rebase', 'origin', 'master');
  git(theirs, 'push', '--quiet', 'origin', 'HEAD:master');
  await mergeUpdate({ repoPath: mine, updateId: 'c', content: 'notes: mine\n', author, runId: 'r-c2' });
  const before = git(mine, 'rev-parse', 'HEAD');
  await assert.rejects(pullUpstream(mine, upstream), (e: unknown) => e instanceof UpstreamError && /conflict with it; the working copy is left unchanged/.test(e.message));
  assert.equal(git(mine, 'rev-parse', 'HEAD'), before);
  assert.equal(git(mine, 'status', '--porcelain'), '');
});
