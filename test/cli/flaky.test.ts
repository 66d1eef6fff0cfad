import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite } from '../helpers/site.js';
import { phase1Run } from '../helpers/run-records.js';

test('sluice flaky lists the tests that flipped on the same content, worst first, per target', async (t) => {
  const dir = tempDir(t);
  await makeSite(dir);
  mkdirSync(join(dir, '.sluice'), { recursive: true });
  const store = await openStore(`sqlite:${join(dir, '.sluice', 'sluice.db')}`);
  try {
    let n = 0;
    const record = async (target: string, content: string, results: [string, 'pass' | 'fail'][]) => {
      const runId = `r${n++}`;
      const jobId = `${runId}.j`;
      await store.insertRunWithJobs({ run: { id: runId, ...phase1Run() }, jobs: [{ id: jobId, target, kind: 'phase1/image@local', maxAttempts: 1 }], now: 1000 + n });
      await store.recordTestResults({ jobId, attempt: 1, runId, target, content, results: results.map(([testId, status]) => ({ testId, status })), now: 1000 + n });
    };
    for (const c of ['c1', 'c2']) {
      await record('kilo/epel-7', c, [['tempest.network', 'fail'], ['tempest.volume', 'fail']]);
      await record('kilo/epel-7', c, [['tempest.network', 'pass'], ['tempest.volume', 'fail']]);
    }
    await record('kilo/fedora-22', 'c3', [['tempest.image', 'fail']]);
    await record('kilo/fedora-22', 'c3', [['tempest.image', 'pass']]);
  } finally {
    await store.close();
  }
  const all = await runCli(['flaky'], { cwd: dir });
  assert.equal(all.status, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.equal(lines.length, 2, all.stdout);
  assert.match(lines[0]!, /^kilo\/epel-7 +2 flips +2 failures .*tempest\.network$/);
  assert.match(lines[1]!, /^kilo\/fedora-22 +1 flip +1 failure .*tempest\.image$/);
  const one = await runCli(['flaky', '--target', 'kilo/fedora-22', '--json'], { cwd: dir });
  assert.deepEqual(JSON.parse(one.stdout).map((f: { testId: string }) => f.testId), ['tempest.image']);
  assert.equal((await runCli(['flaky', '--target', 'nope/x'], { cwd: dir })).status, 1);
  assert.equal((await runCli(['flaky', '--limit', '0'], { cwd: dir })).status, 2);
});
