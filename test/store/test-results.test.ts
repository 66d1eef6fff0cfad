import assert from 'node:assert/strict';
import type { Store, TestOutcome } from '../../src/store/index.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { phase1Run } from '../helpers/run-records.js';

const T0 = 1_700_000_000_000;

async function jobWith(store: Store, runId: string, target: string, content: string, results: TestOutcome[], attempt = 1): Promise<string> {
  const jobId = `${runId}.${target.replace('/', '_')}`;
  if (!(await store.getRun(runId))) {
    assert.ok((await store.insertRunWithJobs({ run: { id: runId, ...phase1Run() }, jobs: [{ id: jobId, target, kind: 'phase1/image@local', maxAttempts: 3 }], now: T0 })).ok);
  }
  await store.recordTestResults({ jobId, attempt, runId, target, content, results, now: T0 + attempt });
  return jobId;
}

forEachStore('per-test results are kept per attempt, the first record of an attempt stands, messages are bounded', async ({ store }) => {
  const jobId = await jobWith(store, 'r1', 'kilo/epel-7', 'c1', [
    { testId: 'tempest.api.compute.test_servers', status: 'fail', message: 'x'.repeat(10_000), durationMs: 1200 },
    { testId: 'tempest.api.image.test_images', status: 'pass' },
    { testId: 'tempest.api.image.test_images', status: 'fail' },
  ]);
  await store.recordTestResults({ jobId, attempt: 1, runId: 'r1', target: 'kilo/epel-7', content: 'c1', results: [{ testId: 'tempest.api.image.test_images', status: 'fail' }], now: T0 + 9 });
  const rows = await store.listTestResults(jobId);
  assert.deepEqual(rows.map((r) => [r.testId, r.status]), [['tempest.api.compute.test_servers', 'fail'], ['tempest.api.image.test_images', 'pass']]);
  assert.equal(rows[0]!.message!.length, 4096);
  assert.equal(rows[0]!.durationMs, 1200);
  await assert.rejects(store.recordTestResults({ jobId, attempt: 2, runId: 'r1', target: 'kilo/epel-7', content: 'c1', results: [{ testId: 't', status: 'weird' as 'pass' }], now: T0 }));
});

forEachStore('a test that failed and passed on the same content is flaky; one that always fails is not', async ({ store }) => {
  // Same content, two runs (a recheck): test A flips, test B fails both times.
  await jobWith(store, 'r1', 'kilo/epel-7', 'c1', [{ testId: 'A', status: 'fail' }, { testId: 'B', status: 'fail' }, { testId: 'C', status: 'pass' }]);
  await jobWith(store, 'r2', 'kilo/epel-7', 'c1', [{ testId: 'A', status: 'pass' }, { testId: 'B', status: 'fail' }, { testId: 'C', status: 'pass' }]);
  // Another content flips A again; on another target C fails once with different content: not flaky.
  await jobWith(store, 'r3', 'kilo/epel-7', 'c2', [{ testId: 'A', status: 'error' }]);
  await jobWith(store, 'r3', 'kilo/epel-7', 'c2', [{ testId: 'A', status: 'pass' }], 2);
  await jobWith(store, 'r4', 'kilo/fedora-22', 'c3', [{ testId: 'C', status: 'fail' }]);
  await jobWith(store, 'r5', 'kilo/fedora-22', 'c4', [{ testId: 'C', status: 'pass' }]);
  const flaky = await store.listFlakyTests();
  assert.deepEqual(flaky.map((f) => [f.target, f.testId, f.flips, f.failures]), [['kilo/epel-7', 'A', 2, 2]]);
  assert.deepEqual([...(await store.flakyAmong('kilo/epel-7', ['A', 'B']))], [['A', 2]]);
  assert.deepEqual([...(await store.flakyAmong('kilo/fedora-22', ['A', 'C']))], []);
});
