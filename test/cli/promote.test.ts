import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { addUpdate, makePhase2Site } from '../helpers/phase2-site.js';
import { requireRpmTools } from '../helpers/rpm.js';

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

test('the whole ladder: five updates, one culprit; phase2 moves four to ready/, promote publishes them, pushed/ and .files are right', async (t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  for (const id of ['aaaa', 'bbbb', 'dddd', 'eeee']) await addUpdate(site, id);
  await addUpdate(site, 'cccc', { notes: 'breaks phase2' });

  const p2 = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(p2.status, 1, p2.stdout + p2.stderr);
  assert.match(p2.stdout, /CULPRIT cccc/);

  const dry = await runCli(['promote', '--dry-run'], { cwd: site.dir });
  assert.equal(dry.status, 0, dry.stderr);
  for (const id of ['aaaa', 'bbbb', 'dddd', 'eeee']) assert.match(dry.stdout, new RegExp(`would push ${id}:\\n  .*published/kilo/epel-7/python-${id}-1.0-1.el7.noarch.rpm`));
  assert.ok(!existsSync(join(site.dir, 'published')), 'a dry run publishes nothing');
  assert.equal(readdirSync(join(site.repoPath, 'pushed')).filter((f) => f !== '.gitkeep').length, 0);

  const pr = await runCli(['promote'], { cwd: site.dir });
  assert.equal(pr.status, 0, pr.stdout + pr.stderr);
  assert.match(pr.stdout, /run \S+ \(promote of 4 updates\): PASS - published aaaa, bbbb, dddd, eeee to kilo\/epel-7 \(stage tested on kilo\/epel-7\)/);
  // Production is a symlink to a complete tree holding exactly the four updates' RPMs and their metadata.
  const prod = join(site.dir, 'published', 'kilo', 'epel-7');
  assert.ok(lstatSync(prod).isSymbolicLink());
  const rpms = readdirSync(realpathSync(prod)).filter((f) => f.endsWith('.rpm')).sort();
  assert.deepEqual(rpms, ['aaaa', 'bbbb', 'dddd', 'eeee'].map((id) => `python-${id}-1.0-1.el7.noarch.rpm`));
  assert.ok(existsSync(join(prod, 'repodata', 'repomd.xml')));
  // The update repository: Push ready/<id> with the list of published files, by the update's author.
  for (const id of ['aaaa', 'bbbb', 'dddd', 'eeee']) {
    assert.ok(existsSync(join(site.repoPath, 'pushed', `${id}.yml`)));
    assert.ok(!existsSync(join(site.repoPath, 'ready', `${id}.yml`)));
    assert.equal(readFileSync(join(site.repoPath, 'pushed', `${id}.yml.files`), 'utf8'), `${join(realpathSync(site.dir), 'published', 'kilo', 'epel-7', `python-${id}-1.0-1.el7.noarch.rpm`)}\n`);
  }
  const pushes = git(site.repoPath, 'log', '--format=%s|%an').split('\n').filter((l) => l.startsWith('Push '));
  assert.deepEqual(pushes.sort(), ['aaaa', 'bbbb', 'dddd', 'eeee'].map((id) => `Push ready/${id}|Packager ${id}`));
  assert.ok(existsSync(join(site.repoPath, 'updates', 'cccc.yml')), 'the culprit waits in updates/ for its fix');
  assert.equal(git(site.repoPath, 'status', '--porcelain'), '');

  // Nothing left: a second promote says so.
  const again = await runCli(['promote'], { cwd: site.dir });
  assert.equal(again.status, 0);
  assert.match(again.stdout, /nothing to promote: ready\/ is empty/);
});

test('promote refuses an RPM whose bytes differ from what was tested: the update goes to failed/ with the reason, the others are pushed', async (t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  await addUpdate(site, 'good');
  await addUpdate(site, 'swap');
  const p2 = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(p2.status, 0, p2.stdout + p2.stderr);
  // Someone rebuilds the swap package under the same NVR after phase2 tested it: cache and source both change.
  const nvr = 'python-swap-1.0-1.el7';
  for (const dir of [join(site.dir, 'builds', nvr), join(site.dir, '.sluice', 'cache', 'builds', 'koji', nvr)]) {
    const file = join(dir, `${nvr}.noarch.rpm`);
    if (existsSync(file)) writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('tampered')]));
  }
  const pr = await runCli(['promote'], { cwd: site.dir });
  assert.equal(pr.status, 1, pr.stdout + pr.stderr);
  assert.match(pr.stdout, /failed swap \(moved to failed\/\):\n {2}.*checksum changed/);
  assert.ok(existsSync(join(site.repoPath, 'failed', 'swap.yml')));
  assert.ok(existsSync(join(site.repoPath, 'pushed', 'good.yml')));
  const body = git(site.repoPath, 'log', '--format=%s%n%b', '-n', '1', '--', 'failed/swap.yml');
  assert.match(body, /^Fail ready\/swap\n.*checksum changed between fetches: python-swap-1.0-1.el7.noarch.rpm/);
  const published = readdirSync(realpathSync(join(site.dir, 'published', 'kilo', 'epel-7'))).filter((f) => f.endsWith('.rpm'));
  assert.deepEqual(published, ['python-good-1.0-1.el7.noarch.rpm']);
});
