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

forEachStore('the worker that finishes a run\'s last job takes its report in the same transaction; others wait for the claim to lapse', async ({ store }) => {
  await store.recordUpdate({ id: 'hkvc', path: 'updates/hkvc.yml', contentHash: 'h', data: {}, now: T0 });
  const jobs = ['kilo/epel-7', 'liberty/epel-7'].map((target, i) => ({ id: `r1.${i}`, target, kind: 'phase1/image@local', maxAttempts: 1 }));
  await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run('hkvc'), updateId: 'hkvc' }, jobs, now: T0 });
  const first = await claimAs(store, { worker: 'w1', now: T0 + 1, leaseMs: 1000, kinds: ['phase1/image@local'] });
  const second = await claimAs(store, { worker: 'w2', now: T0 + 1, leaseMs: 1000, kinds: ['phase1/image@local'] });
  assert.ok(first.ok && second.ok);
  // Not the run's last job: no verdict, no report to take.
  const early = await store.finishJob({ jobId: first.job.id, worker: 'w1', now: T0 + 2, result: 'success', reason: null, claimReportMs: 5000 });
  assert.ok(early.ok);
  assert.deepEqual([early.runVerdict, early.reportClaimed], [null, undefined]);
  const last = await store.finishJob({ jobId: second.job.id, worker: 'w2', now: T0 + 3, result: 'success', reason: null, claimReportMs: 5000 });
  assert.ok(last.ok);
  assert.deepEqual([last.runVerdict, last.reportClaimed], ['pass', true]);
  // Still in the outbox (a report is owed) but w2's: nobody else may take it until the claim lapses.
  assert.deepEqual((await store.listUnreportedRuns()).map((r) => r.id), ['r1']);
  assert.equal(await store.claimRunReport({ runId: 'r1', worker: 'w1', now: T0 + 4, leaseMs: 1000 }), false);
  assert.equal(await store.claimRunReport({ runId: 'r1', worker: 'w2', now: T0 + 4, leaseMs: 1000 }), true, 'its holder may retake it (a retry)');
  assert.equal(await store.claimRunReport({ runId: 'r1', worker: 'w1', now: T0 + 4 + 1001, leaseMs: 1000 }), true, 'a lapsed claim is anyone\'s');
});
