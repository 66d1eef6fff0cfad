import assert from 'node:assert/strict';
import { forEachStore } from '../helpers/store-matrix.js';
import { phase1Run } from '../helpers/run-records.js';
import { claimAs } from '../helpers/claim.js';

const T0 = 1_700_000_000_000;

forEachStore('keeps an outbox of finished runs that owe their report, marked once', async ({ store, open }) => {
  await store.recordUpdate({ id: 'hkvc', path: 'updates/hkvc.yml', contentHash: 'h', data: {}, now: T0 });
  for (const id of ['r1', 'r2']) {
    await store.insertRunWithJobs({ run: { id, ...phase1Run('hkvc'), updateId: 'hkvc' }, jobs: [{ id: `${id}.a`, target: 'kilo/epel-7', kind: 'phase1/image@local', maxAttempts: 1 }], now: T0 });
  }
  assert.deepEqual(await store.listUnreportedRuns(), [], 'unfinished runs owe nothing yet');
  const claim = await claimAs(store, { worker: 'w', now: T0 + 1, leaseMs: 1000, kinds: ['phase1/image@local'] });
  assert.ok(claim.ok);
  await store.finishJob({ jobId: claim.job.id, worker: 'w', now: T0 + 2, result: 'success', reason: null, node: 'local:/x', logPath: '/x/job.log' });
  const owed = await store.listUnreportedRuns();
  assert.deepEqual(owed.map((r) => [r.id, r.verdict]), [[claim.job.runId, 'pass']]);
  const job = await store.getJob(claim.job.id);
  assert.deepEqual([job?.node, job?.logPath], ['local:/x', '/x/job.log']);
  const other = await open();
  const marks = await Promise.all([store.markRunReported({ runId: claim.job.runId, now: T0 + 3 }), other.markRunReported({ runId: claim.job.runId, now: T0 + 3 })]);
  assert.deepEqual(marks.sort(), [false, true], 'exactly one reporter marks it');
  assert.deepEqual(await store.listUnreportedRuns(), []);
  assert.equal((await store.getRun(claim.job.runId))?.reportedAt, T0 + 3);
  assert.deepEqual((await store.listRuns({ updateId: 'hkvc' })).map((r) => r.id).sort(), ['r1', 'r2']);
  assert.deepEqual((await store.listRuns({ unfinished: true })).map((r) => r.id), [claim.job.runId === 'r1' ? 'r2' : 'r1']);
});
