import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { blobId, formatOfId } from '../../src/drivers/repo/blob-id.js';
import { headCommit, listFolders } from '../../src/drivers/repo/update-repo.js';
import { UPDATE_REPO_FOLDERS } from '../../src/drivers/repo/layout.js';
import { tempDir } from '../helpers/paths.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' }).trim();

test('the blob id computed in-process is the one git gives the same bytes, in SHA-1 and SHA-256 repositories', (t) => {
  const samples = [Buffer.from(''), Buffer.from('notes: x\n'), Buffer.from('a\0b\r\n\u00e9\u202e'), Buffer.alloc(70_000, 7)];
  for (const format of ['sha1', 'sha256'] as const) {
    const repo = tempDir(t, `sluice-blob-${format}-`);
    git(repo, 'init', '--quiet', `--object-format=${format}`);
    samples.forEach((bytes, i) => {
      writeFileSync(join(repo, `f${i}`), bytes);
      const expected = git(repo, 'hash-object', '--', `f${i}`);
      assert.equal(formatOfId(expected), format);
      assert.equal(blobId(bytes, formatOfId(expected)), expected, `${format}, sample ${i}`);
    });
  }
});

test('listFolders lists every folder from one git process, leaving out what is not an update file, and HEAD is read without one', async (t) => {
  const repo = tempDir(t, 'sluice-folders-');
  git(repo, 'init', '--quiet', '-b', 'main');
  for (const [folder, ids] of [['updates', ['b', 'a']], ['ready', ['c']], ['pushed', []], ['failed', ['d']]] as const) {
    mkdirSync(join(repo, folder), { recursive: true });
    for (const id of ids) writeFileSync(join(repo, folder, `${id}.yml`), `notes: ${id}\n`);
  }
  writeFileSync(join(repo, 'updates', 'not-an-update.txt'), 'x');
  git(repo, 'add', '-A');
  git(repo, '-c', 'user.name=T', '-c', 'user.email=t@example.org', 'commit', '--quiet', '-m', 'layout');
  const all = await listFolders({ repoPath: repo });
  assert.deepEqual(all, { updates: ['a', 'b'], ready: ['c'], pushed: [], failed: ['d'] });
  assert.deepEqual(Object.keys(all).sort(), [...UPDATE_REPO_FOLDERS].sort());
  assert.equal(await headCommit(repo), git(repo, 'rev-parse', 'HEAD'));
  git(repo, 'pack-refs', '--all');
  assert.equal(await headCommit(repo), git(repo, 'rev-parse', 'HEAD'), 'a packed ref');
});
