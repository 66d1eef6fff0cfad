import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { initUpdateRepo } from '../../src/drivers/repo/layout.js';
import { mergeUpdate } from '../../src/drivers/repo/update-repo.js';
import { readDependencies } from '../../src/pipelines/dependency-places.js';
import { declareNeeds } from '../helpers/dependencies.js';
import { tempDir } from '../helpers/paths.js';
import { phase1Run } from '../helpers/run-records.js';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;

forEachStore('what a run reads of the needs of its set: the edges through what they need, and where each need outside the set stands', async ({ store }, t) => {
  const repoPath = join(tempDir(t), 'repo');
  await initUpdateRepo(repoPath);
  const merge = (id: string) => mergeUpdate({ repoPath, updateId: id, content: `notes: ${id}\nbuilds: []\n`, author: { name: 'P', email: 'p@example.org' }, runId: `p1-${id}` });
  for (const id of ['nv4a', 'rdy1', 'upd1', 'pub1']) await merge(id);
  execFileSync('git', ['-C', repoPath, 'mv', 'updates/rdy1.yml', 'ready/rdy1.yml']);
  execFileSync('git', ['-C', repoPath, 'mv', 'updates/pub1.yml', 'pushed/pub1.yml']);
  execFileSync('git', ['-C', repoPath, 'commit', '-qm', 'ladder']);
  // run1: phase1 still going; fal1: its phase1 failed; can1: its phase1 was cancelled.
  const phase1 = async (id: string) => {
    await store.recordUpdate({ id, path: `updates/${id}.yml`, contentHash: `content-${id}`, data: {}, now: T0 });
    assert.ok((await store.insertRunWithJobs({ run: { id: `r-${id}`, ...phase1Run(id), updateId: id }, jobs: [{ id: `r-${id}.j`, target: 'kilo/epel-7', kind: 'phase1/test@local', maxAttempts: 1 }], now: T0 })).ok);
  };
  await phase1('fal1');
  const claimed = await store.claimJobWithLeases({ worker: 'w', holder: 'w#1', now: T0, leaseMs: 60_000, kinds: [{ kind: 'phase1/test@local', leases: [] }] });
  assert.ok(claimed.ok && claimed.job.id === 'r-fal1.j', JSON.stringify(claimed));
  await store.finishJob({ jobId: 'r-fal1.j', worker: 'w', now: T0 + 1, result: 'failure', reason: 'tests failed', releaseLeases: claimed.leases });
  await phase1('run1');
  await phase1('can1');
  await store.cancelRun({ runId: 'r-can1', now: T0 + 1, reason: 'withdrawn by its packager' });
  await declareNeeds(store, 'nv4a', ['rdy1', 'upd1', 'run1', 'fal1', 'can1', 'gon1']);
  await declareNeeds(store, 'rdy1', ['pub1']);
  await declareNeeds(store, 'other', ['nv4a']);

  const got = await readDependencies(store, repoPath, ['nv4a', 'upd1']);
  assert.deepEqual(got.edges.map((e) => `${e.updateId}>${e.dependsOn}`).sort(), ['nv4a>can1', 'nv4a>fal1', 'nv4a>gon1', 'nv4a>rdy1', 'nv4a>run1', 'nv4a>upd1', 'rdy1>pub1']);
  const places = Object.fromEntries(got.places.map((p) => [p.id, p.detail ? `${p.place}: ${p.detail}` : p.place]));
  assert.equal(places['upd1'], undefined, 'in the set: not placed');
  assert.equal(places['rdy1'], 'ready');
  assert.equal(places['pub1'], 'pushed');
  assert.equal(places['gon1'], 'gone');
  assert.equal(places['can1'], 'gone: its phase1 run r-can1 was cancelled');
  assert.equal(places['run1'], 'submitted: run r-run1');
  assert.equal(places['fal1'], 'rejected: run r-fal1');
  assert.deepEqual(await readDependencies(store, repoPath, ['upd1']), { edges: [], places: [] });
});
