import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { headCommitId } from '../../src/drivers/repo/head-commit.js';
import { readFolders } from '../../src/web/ladder.js';
import { tempDir } from '../helpers/paths.js';

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' }).trim();
}

function commitFile(repo: string, path: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), 'notes: x\n');
  git(repo, 'add', '--', path);
  git(repo, 'commit', '-q', '-m', `add ${path}`);
}

test('the folders are listed once per HEAD commit, and again as soon as HEAD moves', async (t) => {
  const repo = tempDir(t);
  git(repo, 'init', '-q', '-b', 'main');
  assert.equal(headCommitId(repo), undefined, 'an unborn branch has no commit');
  commitFile(repo, 'updates/a.yml');
  assert.equal(headCommitId(repo), git(repo, 'rev-parse', 'HEAD'), 'a loose ref');
  assert.deepEqual((await readFolders(repo)).updates, ['a']);
  commitFile(repo, 'ready/b.yml');
  assert.deepEqual(await readFolders(repo), { updates: ['a'], ready: ['b'], pushed: [], failed: [] });
  // A file moved without a commit changes nothing: the folders are HEAD's.
  mkdirSync(join(repo, 'pushed'));
  git(repo, 'mv', 'ready/b.yml', 'pushed/b.yml');
  assert.deepEqual((await readFolders(repo)).pushed, []);
  git(repo, 'commit', '-q', '-m', 'push b');
  assert.deepEqual(await readFolders(repo), { updates: ['a'], ready: [], pushed: ['b'], failed: [] });
  // Packed refs (after git gc or a clone) resolve too; a detached HEAD is its own commit.
  git(repo, 'pack-refs', '--all');
  assert.equal(headCommitId(repo), git(repo, 'rev-parse', 'HEAD'), 'a packed ref');
  git(repo, 'checkout', '-q', '--detach', 'HEAD~1');
  assert.equal(headCommitId(repo), git(repo, 'rev-parse', 'HEAD'), 'a detached HEAD');
  assert.deepEqual(await readFolders(repo), { updates: ['a'], ready: ['b'], pushed: [], failed: [] });
});
