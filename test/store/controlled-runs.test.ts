import assert from 'node:assert/strict';
import type { NewJob } from '../../src/store/index.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { phase1Run, phase2Run, promoteRun } from '../helpers/run-records.js';
import { claimAs } from '../helpers/claim.js';

const T0 = 1_700_000_000_000;
const job = (id: string, target = 'kilo/epel-7'): NewJob => ({ id, target, kind: 'phase2/provision@local', maxAttempts: 1, spec: { id } });

forEachStore('only one phase2 may be unfinished, whichever store handle starts it', async (f) => {
  const other = await f.open();
  const results = await Promise.all([
    f.store.insertRunWithJobs({ run: { id: 'p2a', ...phase2Run(), controller: 'phase2' }, jobs: [], now: T0 }),
    other.insertRunWithJobs({ run: { id: 'p2b', ...phase2Run(), controller: 'phase2' }, jobs: [], now: T0 }),
  ]);
  const won = results.filter((r) => r.ok);
  assert.equal(won.length, 1);
  const lost = results.find((r) => !r.ok);
  assert.ok(lost && !lost.ok && lost.code === 'pipeline_busy');
  assert.equal((lost as { activeRunId: string }).activeRunId, (await f.store.activeRunOf('phase2')));
  // A promote is another pipeline: it may run beside phase2, and phase1 runs freely.
  assert.ok((await f.store.insertRunWithJobs({ run: { id: 'pr1', ...promoteRun(), controller: 'promote' }, jobs: [], now: T0 })).ok);
  assert.ok((await f.store.insertRunWithJobs({ run: { id: 'a1', ...phase1Run() }, jobs: [job('a1.j')], now: T0 })).ok);
  assert.ok((await f.store.insertRunWithJobs({ run: { id: 'a2', ...phase1Run() }, jobs: [job('a2.j')], now: T0 })).ok);
  const active = (await f.store.activeRunOf('phase2'))!;
  assert.ok((await f.store.finishControlledRun({ runId: active, now: T0 + 1, verdict: 'pass', reason: 'ok', outcome: { clean: ['x'], held: [] } })).ok);
  assert.ok((await f.store.insertRunWithJobs({ run: { id: 'p2c', ...phase2Run(), controller: 'phase2' }, jobs: [], now: T0 + 2 })).ok);
});

forEachStore('a controlled run is advanced round by round and finished by its controller, never collated', async ({ store }) => {
  assert.ok((await store.insertRunWithJobs({ run: { id: 'c1', ...phase2Run(), controller: 'phase2' }, jobs: [], now: T0 })).ok);
  assert.deepEqual((await store.listIdleControlledRuns()).map((r) => r.id), ['c1']);
  assert.deepEqual(await store.listStrandedRunIds(), [], 'a controlled run with no job is not stranded: its controller adds jobs');
  assert.equal((await store.settleRun({ runId: 'c1', now: T0 })).ok, false);

  assert.equal(await store.claimRunAdvance({ runId: 'c1', worker: 'w1', now: T0, leaseMs: 1000 }), true);
  assert.equal(await store.claimRunAdvance({ runId: 'c1', worker: 'w2', now: T0 + 10, leaseMs: 1000 }), false, 'one advancer at a time');
  assert.equal(await store.claimRunAdvance({ runId: 'c1', worker: 'w1', now: T0 + 20, leaseMs: 1000 }), true, 'the holder renews');
  assert.ok((await store.addJobs({ runId: 'c1', jobs: [job('c1.r1.a'), job('c1.r1.b', 'kilo/fedora-22')], now: T0 })).ok);
  const dup = await store.addJobs({ runId: 'c1', jobs: [job('c1.r1.a')], now: T0 });
  assert.ok(!dup.ok && dup.code === 'duplicate_id');
  assert.equal((await store.listJobs('c1')).length, 2, 'a refused round adds nothing');
  assert.deepEqual(await store.listIdleControlledRuns(), []);

  for (const expected of ['c1.r1.a', 'c1.r1.b']) {
    const claim = await claimAs(store, { worker: 'w', now: T0 + 1, leaseMs: 60_000, kinds: ['phase2/provision@local'] });
    assert.ok(claim.ok);
    assert.equal(claim.job.id, expected);
    const fin = await store.finishJob({ jobId: expected, worker: 'w', now: T0 + 2, result: 'failure', reason: 'x' });
    assert.ok(fin.ok);
    assert.equal(fin.runVerdict, null, 'the last job does not collate a controlled run');
    assert.equal(fin.runControlled, true, 'the engine is told the run is controlled, so it asks its controller');
  }
  const idle = await store.listIdleControlledRuns();
  assert.deepEqual(idle.map((r) => [r.id, r.state, r.controller]), [['c1', 'running', 'phase2']]);
  assert.equal(await store.claimRunAdvance({ runId: 'c1', worker: 'w2', now: T0 + 5000, leaseMs: 1000 }), true, 'a lapsed advance lease is taken over');
  const done = await store.finishControlledRun({ runId: 'c1', now: T0 + 6000, verdict: 'fail', reason: 'culprit: x', outcome: { culprits: [{ updates: ['x'], stage: 'tests', failedJobs: ['c1.r1.a'] }], held: [] } });
  assert.ok(done.ok);
  const run = (await store.getRun('c1'))!;
  assert.deepEqual([run.state, run.verdict, run.reason, run.outcome], ['finished', 'fail', 'culprit: x', { culprits: [{ updates: ['x'], stage: 'tests', failedJobs: ['c1.r1.a'] }], held: [] }]);
  assert.equal((await store.addJobs({ runId: 'c1', jobs: [job('c1.r2.a')], now: T0 }) as { code?: string }).code, 'finished');
  assert.deepEqual((await store.listUnreportedRuns()).map((r) => r.id), ['c1'], 'its report is owed like any run');
  assert.equal(await store.claimRunReport({ runId: 'c1', worker: 'w3', now: T0 + 6001, leaseMs: 1000 }), true, 'finishing released the advance lease');
});

forEachStore('a controlled run cannot be finished while a job is open, and a cancel stops new rounds', async ({ store }) => {
  assert.ok((await store.insertRunWithJobs({ run: { id: 'c2', ...promoteRun(), controller: 'promote' }, jobs: [], now: T0 })).ok);
  assert.ok((await store.addJobs({ runId: 'c2', jobs: [job('c2.stage')], now: T0 })).ok);
  const early = await store.finishControlledRun({ runId: 'c2', now: T0, verdict: 'pass', reason: 'r', outcome: null });
  assert.ok(!early.ok && early.code === 'unfinished');
  const cancelled = await store.cancelRun({ runId: 'c2', now: T0 + 1, reason: 'operator' });
  assert.ok(cancelled.ok);
  assert.deepEqual(cancelled.cancelledJobs, ['c2.stage']);
  assert.equal(cancelled.runVerdict, null, 'the controller, not collation, finishes it');
  const run = (await store.getRun('c2'))!;
  assert.equal(run.cancelRequestedAt, T0 + 1);
  const more = await store.addJobs({ runId: 'c2', jobs: [job('c2.more')], now: T0 + 2 });
  assert.ok(!more.ok && more.code === 'cancelled');
  assert.deepEqual((await store.listIdleControlledRuns()).map((r) => r.id), ['c2']);
});
