import assert from 'node:assert/strict';
import { forEachStore } from '../helpers/store-matrix.js';
import { imagesRun, phase1Run, phase2Run } from '../helpers/run-records.js';

const T0 = 1_700_000_000_000;

forEachStore('inserts a run with its jobs, queued or skipped', async ({ store }) => {
  await store.recordUpdate({ id: 'hkvc', path: 'updates/hkvc.yml', contentHash: 'h', data: {}, now: T0 });
  const result = await store.insertRunWithJobs({
    run: { id: 'r1', ...phase1Run('hkvc'), updateId: 'hkvc' },
    jobs: [
      { id: 'r1/juno-epel-7', target: 'juno/epel-7', kind: 'phase1', maxAttempts: 3, spec: { image: true } },
      { id: 'r1/kilo-epel-7', target: 'kilo/epel-7', kind: 'phase1', maxAttempts: 3, skipReason: 'disabled: mirror broken' },
    ],
    now: T0 + 1,
  });
  assert.deepEqual(result, { ok: true });
  assert.deepEqual(await store.getRun('r1'), {
    id: 'r1',
    pipeline: 'phase1',
    updateId: 'hkvc',
    state: 'queued',
    verdict: null,
    createdAt: T0 + 1,
    startedAt: null,
    finishedAt: null,
    inputs: phase1Run('hkvc').inputs,
    reason: null,
    reportedAt: null,
    controller: null,
    outcome: null,
    cancelRequestedAt: null,
    verdictRevision: 0,
  });
  const jobs = await store.listJobs('r1');
  assert.deepEqual(
    jobs.map((j) => [j.id, j.state, j.result, j.skipReason, j.reason]),
    [
      ['r1/juno-epel-7', 'queued', null, null, null],
      ['r1/kilo-epel-7', 'finished', 'skipped', 'disabled: mirror broken', null],
    ],
  );
  assert.deepEqual(jobs[0], {
    id: 'r1/juno-epel-7',
    runId: 'r1',
    target: 'juno/epel-7',
    kind: 'phase1',
    state: 'queued',
    result: null,
    reason: null,
    skipReason: null,
    attempt: 0,
    maxAttempts: 3,
    interruptions: 0,
    availableAt: T0 + 1,
    lockedBy: null,
    lockedUntil: null,
    node: null,
    logPath: null,
    liveLogPath: null,
    logOrigin: null,
    createdAt: T0 + 1,
    startedAt: null,
    finishedAt: null,
    spec: { image: true },
    excerpt: null,
    waiver: null,
    carriedFrom: null,
  });
  assert.equal(jobs[1]?.finishedAt, T0 + 1);
  const events = await store.listEvents({ runId: 'r1' });
  assert.deepEqual(events.map((e) => e.kind), ['run.created']);
});

forEachStore('a run without an update (phase2) is fine; unknown runs read as undefined', async ({ store }) => {
  const result = await store.insertRunWithJobs({ run: { id: 'p2', ...phase2Run() }, jobs: [], now: T0 });
  assert.deepEqual(result, { ok: true });
  assert.equal((await store.getRun('p2'))?.updateId, null);
  assert.equal(await store.getRun('nope'), undefined);
  assert.deepEqual(await store.listJobs('nope'), []);
});

forEachStore('a duplicate job id rolls back the whole run', async ({ store }) => {
  const job = { id: 'r1/a', target: 'juno/epel-7', kind: 'phase1', maxAttempts: 1 };
  const result = await store.insertRunWithJobs({
    run: { id: 'r1', ...phase2Run() },
    jobs: [job, { ...job, target: 'kilo/epel-7' }],
    now: T0,
  });
  assert.deepEqual(result, { ok: false, code: 'duplicate_id' });
  assert.equal(await store.getRun('r1'), undefined);
  assert.deepEqual(await store.listJobs('r1'), []);
  assert.deepEqual(await store.listEvents(), []);
});

forEachStore('a job id taken by another run rolls back the new run', async ({ store }) => {
  const job = { id: 'shared', target: 'juno/epel-7', kind: 'phase1', maxAttempts: 1 };
  assert.deepEqual(await store.insertRunWithJobs({ run: { id: 'r1', ...imagesRun() }, jobs: [job], now: T0 }), { ok: true });
  assert.deepEqual(await store.insertRunWithJobs({ run: { id: 'r2', ...imagesRun() }, jobs: [{ ...job, id: 'fresh' }, job], now: T0 }), {
    ok: false,
    code: 'duplicate_id',
  });
  assert.equal(await store.getRun('r2'), undefined);
  assert.deepEqual(await store.listJobs('r2'), []);
  assert.equal((await store.listEvents()).length, 1);
});

forEachStore('a run for an unknown update is refused and leaves nothing', async ({ store }) => {
  const result = await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run('ghost'), updateId: 'ghost' }, jobs: [], now: T0 });
  assert.deepEqual(result, { ok: false, code: 'unknown_update' });
  assert.equal(await store.getRun('r1'), undefined);
});

forEachStore('a spec that is not JSON fails the insert and leaves nothing', async ({ store }) => {
  await assert.rejects(
    store.insertRunWithJobs({
      run: { id: 'r1', ...phase2Run() },
      jobs: [{ id: 'r1/a', target: 't', kind: 'k', maxAttempts: 1, spec: { f: 1n } }],
      now: T0,
    }),
  );
  assert.equal(await store.getRun('r1'), undefined);
});

forEachStore('lists the runs of one pipeline, newest first', async ({ store }) => {
  await store.recordUpdate({ id: 'hkvc', path: 'updates/hkvc.yml', contentHash: 'h', data: {}, now: T0 });
  assert.deepEqual(await store.insertRunWithJobs({ run: { id: 'p1', ...phase1Run('hkvc'), updateId: 'hkvc' }, jobs: [], now: T0 + 1 }), { ok: true });
  assert.deepEqual(await store.insertRunWithJobs({ run: { id: 'i1', ...imagesRun() }, jobs: [], now: T0 + 2 }), { ok: true });
  assert.deepEqual(await store.insertRunWithJobs({ run: { id: 'i2', ...imagesRun() }, jobs: [], now: T0 + 3 }), { ok: true });
  assert.deepEqual((await store.listRuns({ pipeline: 'images' })).map((r) => r.id), ['i2', 'i1']);
  assert.deepEqual((await store.listRuns({ pipeline: 'phase1' })).map((r) => r.id), ['p1']);
  assert.deepEqual((await store.listRuns({ pipeline: 'promote' })).map((r) => r.id), []);
  assert.deepEqual((await store.listRuns({})).map((r) => r.id), ['i2', 'i1', 'p1']);
});

forEachStore('a run of 250 jobs, queued, skipped and carried mixed, is written whole, every field in its place', async ({ store }) => {
  // Rows go in statements of a hundred: this crosses two boundaries with each kind of row on both sides.
  const jobs = Array.from({ length: 250 }, (_, i) => ({
    id: `r1/${String(i).padStart(3, '0')}`, target: `rel/t${i}`, kind: 'phase1', maxAttempts: 1 + (i % 3), spec: { n: i },
    ...(i % 5 === 1 ? { skipReason: `disabled ${i}` } : {}),
    ...(i % 7 === 2 ? { carried: { fromJob: `r0/${i}`, fromRun: 'r0', node: `local:${i}`, logPath: `/logs/${i}` } } : {}),
  }));
  assert.deepEqual(await store.insertRunWithJobs({ run: { id: 'r1', ...imagesRun() }, jobs, now: T0 }), { ok: true });
  const written = await store.listJobs('r1');
  assert.equal(written.length, 250);
  for (const [i, j] of written.entries()) {
    const carried = i % 7 === 2;
    const skipped = !carried && i % 5 === 1;
    assert.deepEqual(
      [j.id, j.target, j.maxAttempts, j.spec, j.state, j.result, j.skipReason, j.reason, j.node, j.logPath, j.carriedFrom],
      [
        `r1/${String(i).padStart(3, '0')}`, `rel/t${i}`, 1 + (i % 3), { n: i },
        carried || skipped ? 'finished' : 'queued', carried ? 'success' : skipped ? 'skipped' : null,
        skipped ? `disabled ${i}` : null, carried ? 'passed in run r0' : null,
        carried ? `local:${i}` : null, carried ? `/logs/${i}` : null, carried ? `r0/${i}` : null,
      ],
      `job ${i}`,
    );
  }
});
