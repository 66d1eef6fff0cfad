import assert from 'node:assert/strict';
import { INFRA_RETRY_BACKOFF_MS, type NewJob, type Store } from '../../src/store/index.js';
import { claimAs } from '../helpers/claim.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { imagesRun } from '../helpers/run-records.js';

const T0 = 1_700_000_000_000;
const LEASE = 60_000;
/** Every kind this file's jobs have: what a worker running them all claims. */
const KINDS = ['phase1', 'images'];

function jobs(runId: string, n: number, extra: Partial<NewJob> = {}): NewJob[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${runId}/${i}`, target: `t${i}`, kind: 'phase1', maxAttempts: 1, ...extra }));
}

async function run(store: Store, id: string, children: NewJob[], now = T0): Promise<void> {
  assert.deepEqual(await store.insertRunWithJobs({ run: { id, ...imagesRun() }, jobs: children, now }), { ok: true });
}

async function claim(store: Store, worker = 'w1', now = T0 + 10) {
  const claimed = await claimAs(store, { worker, now, leaseMs: LEASE, kinds: KINDS });
  assert.ok(claimed.ok, 'a job was claimable');
  return claimed.job;
}

forEachStore('a claim leases the job and starts its run', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 1, { maxAttempts: 2 }));
  const job = await claim(store, 'w1', T0 + 5);
  assert.equal(job.id, 'r1/0');
  assert.equal(job.state, 'running');
  assert.equal(job.lockedBy, 'w1');
  assert.equal(job.lockedUntil, T0 + 5 + LEASE);
  assert.equal(job.startedAt, T0 + 5);
  assert.equal(job.attempt, 1);
  const r = await store.getRun('r1');
  assert.equal(r?.state, 'running');
  assert.equal(r?.startedAt, T0 + 5);
  assert.deepEqual(await claimAs(store, { worker: 'w2', now: T0 + 6, leaseMs: LEASE, kinds: KINDS }), { ok: false, code: 'empty' });
  const kinds = (await store.listEvents({ runId: 'r1' })).map((e) => e.kind);
  assert.deepEqual(kinds, ['run.created', 'run.started', 'job.started']);
  assert.deepEqual(await store.getJob('r1/0'), job);
  assert.equal(await store.getJob('nope'), undefined);
});

forEachStore('claims honour kinds and available_at', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 1, { kind: 'images' }), T0 + 100);
  assert.deepEqual(await claimAs(store, { worker: 'w', now: T0 + 50, leaseMs: LEASE, kinds: KINDS }), { ok: false, code: 'empty' });
  assert.deepEqual(await claimAs(store, { worker: 'w', now: T0 + 100, leaseMs: LEASE, kinds: ['phase1'] }), { ok: false, code: 'empty' });
  const claimed = await claimAs(store, { worker: 'w', now: T0 + 100, leaseMs: LEASE, kinds: ['images'] });
  assert.ok(claimed.ok);
});

forEachStore('three stores racing for 30 jobs claim each exactly once', async ({ store, open }) => {
  await run(store, 'a', jobs('a', 10));
  await run(store, 'b', jobs('b', 20));
  const stores = [store, await open(), await open()];
  const claimedBy = await Promise.all(
    stores.map(async (s, i) => {
      const mine: string[] = [];
      for (;;) {
        const claimed = await claimAs(s, { worker: `w${i}`, now: T0 + 10, leaseMs: LEASE, kinds: KINDS });
        if (!claimed.ok) return mine;
        mine.push(claimed.job.id);
      }
    }),
  );
  const all = claimedBy.flat().sort();
  assert.equal(all.length, 30);
  assert.equal(new Set(all).size, 30);
  const started = (await store.listEvents({ limit: 1000 })).filter((e) => e.kind === 'run.started');
  assert.equal(started.length, 2, 'each run starts once');
});

forEachStore('claims go to the runs with the fewest running jobs first', async ({ store }) => {
  await run(store, 'big', jobs('big', 10), T0);
  for (let i = 0; i < 10; i += 1) await run(store, `small${i}`, jobs(`small${i}`, 1), T0 + 1 + i);
  const runs: string[] = [];
  for (let i = 0; i < 12; i += 1) runs.push((await claim(store, 'w', T0 + 100)).runId);
  assert.deepEqual(runs, ['big', ...Array.from({ length: 10 }, (_, i) => `small${i}`), 'big']);
});

forEachStore('heartbeat and finish by another worker are lost', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 1));
  await claim(store, 'w1');
  assert.deepEqual(await store.heartbeatJob({ jobId: 'r1/0', worker: 'w2', now: T0 + 20, leaseMs: LEASE }), { ok: false, code: 'lost' });
  assert.deepEqual(await store.finishJob({ jobId: 'r1/0', worker: 'w2', now: T0 + 20, result: 'success', reason: null }), {
    ok: false,
    code: 'lost',
  });
  assert.deepEqual(await store.heartbeatJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 20, leaseMs: LEASE }), {
    ok: true,
    lockedUntil: T0 + 20 + LEASE,
    cancelRequested: false,
  });
  // Past its expiry the lease cannot be renewed: a sweep may take the job at any moment.
  assert.deepEqual(await store.heartbeatJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 21 + LEASE, leaseMs: LEASE }), {
    ok: false,
    code: 'lost',
  });
  assert.deepEqual(await store.finishJob({ jobId: 'nope', worker: 'w1', now: T0, result: 'success', reason: null }), { ok: false, code: 'lost' });
});

forEachStore('infra is retried after a back-off until max_attempts, then final', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 1, { maxAttempts: 2 }));
  await claim(store, 'w1', T0 + 10);
  const first = await store.finishJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 20, result: 'infra', reason: 'node lost' });
  assert.deepEqual(first, { ok: true, jobState: 'queued', runVerdict: null, runControlled: false });
  const queued = await store.getJob('r1/0');
  assert.equal(queued?.state, 'queued');
  assert.equal(queued?.lockedBy, null);
  assert.equal(queued?.availableAt, T0 + 20 + INFRA_RETRY_BACKOFF_MS);
  assert.deepEqual(await claimAs(store, { worker: 'w2', now: T0 + 21, leaseMs: LEASE, kinds: KINDS }), { ok: false, code: 'empty' });
  const again = await claim(store, 'w2', T0 + 20 + INFRA_RETRY_BACKOFF_MS);
  assert.equal(again.attempt, 2);
  const last = await store.finishJob({ jobId: 'r1/0', worker: 'w2', now: T0 + 50_000, result: 'infra', reason: 'node lost again' });
  assert.deepEqual(last, { ok: true, jobState: 'finished', runVerdict: 'error', runControlled: false });
  const job = await store.getJob('r1/0');
  assert.deepEqual([job?.state, job?.result, job?.reason], ['finished', 'infra', 'node lost again']);
  const kinds = (await store.listEvents({ runId: 'r1' })).map((e) => e.kind);
  assert.deepEqual(kinds, ['run.created', 'run.started', 'job.started', 'job.retried', 'job.started', 'job.finished', 'run.finished']);
});

for (const [results, verdict] of [
  [['success', 'success'], 'pass'],
  [['success', 'failure'], 'fail'],
  [['timeout', 'success'], 'error'],
] as const) {
  forEachStore(`the last job to finish collates the run: ${results.join(' + ')} is ${verdict}`, async ({ store }) => {
    await run(store, 'r1', [...jobs('r1', 2), { id: 'r1/off', target: 'off', kind: 'phase1', maxAttempts: 1, skipReason: 'disabled' }]);
    const a = await claim(store, 'wa');
    const b = await claim(store, 'wb');
    const first = await store.finishJob({ jobId: a.id, worker: 'wa', now: T0 + 20, result: results[0], reason: null });
    assert.deepEqual(first, { ok: true, jobState: 'finished', runVerdict: null, runControlled: false });
    assert.equal((await store.getRun('r1'))?.state, 'running');
    const second = await store.finishJob({ jobId: b.id, worker: 'wb', now: T0 + 30, result: results[1], reason: null });
    assert.deepEqual(second, { ok: true, jobState: 'finished', runVerdict: verdict, runControlled: false });
    const r = await store.getRun('r1');
    assert.deepEqual([r?.state, r?.verdict, r?.finishedAt], ['finished', verdict, T0 + 30]);
    assert.ok(r?.reason);
    const events = await store.listEvents({ runId: 'r1' });
    assert.equal(events.at(-1)?.kind, 'run.finished');
  });
}

forEachStore('two workers finishing the last two jobs at once collate the run once', async ({ store, open }) => {
  await run(store, 'r1', jobs('r1', 2));
  const other = await open();
  const a = await claim(store, 'wa');
  const b = await claim(store, 'wb');
  const ended = await Promise.all([
    store.finishJob({ jobId: a.id, worker: 'wa', now: T0 + 20, result: 'success', reason: null }),
    other.finishJob({ jobId: b.id, worker: 'wb', now: T0 + 20, result: 'success', reason: null }),
  ]);
  assert.deepEqual(ended.map((e) => e.ok && e.runVerdict).sort(), [null, 'pass'].sort());
  const finished = (await store.listEvents({ runId: 'r1' })).filter((e) => e.kind === 'run.finished');
  assert.equal(finished.length, 1);
});

forEachStore('finishers racing on the last jobs of many runs finish every run, each once, with its verdict', async ({ store, open }) => {
  // Each finish that sees a sibling still open skips the collation; on PostgreSQL the
  // siblings may all see each other open, and the last to commit must still collate.
  const runs = 40;
  const width = 2;
  for (let r = 0; r < runs; r++) await run(store, `r${r}`, jobs(`r${r}`, width));
  const stores = [store, await open(), await open()];
  const claimed = [];
  for (let i = 0; i < runs * width; i++) claimed.push(await claim(store, `w${i}`));
  const ended = await Promise.all(claimed.map((job, i) => (stores[i % stores.length] as Store).finishJob({
    jobId: job.id, worker: `w${i}`, now: T0 + 20, result: job.target === 't1' && job.runId === 'r3' ? 'failure' : 'success', reason: null, claimReportMs: LEASE,
  })));
  assert.ok(ended.every((e) => e.ok));
  const verdicts = new Map<string, string[]>();
  claimed.forEach((job, i) => {
    const e = ended[i];
    if (e?.ok && e.runVerdict) verdicts.set(job.runId, [...(verdicts.get(job.runId) ?? []), e.runVerdict]);
  });
  for (let r = 0; r < runs; r++) {
    const id = `r${r}`;
    const expected = r === 3 ? 'fail' : 'pass';
    assert.deepEqual(verdicts.get(id), [expected], `${id} collated by exactly one finisher`);
    assert.deepEqual([(await store.getRun(id))?.state, (await store.getRun(id))?.verdict], ['finished', expected]);
    assert.equal((await store.listEvents({ runId: id })).filter((e) => e.kind === 'run.finished').length, 1);
  }
  // The finisher that collated took the report, with the run as written.
  const reports = ended.filter((e) => e.ok && e.reportClaimed);
  assert.equal(reports.length, runs);
  assert.ok(reports.every((e) => e.ok && e.finishedRun?.state === 'finished'));
  // Where the finish read the jobs for the report, they are the jobs as stored (never for a failure, whose waiver may change).
  for (const e of reports) {
    if (!e.ok || !e.finishedJobs) continue;
    assert.notEqual(e.finishedRun?.id, 'r3');
    assert.deepEqual(e.finishedJobs, await store.listJobs(e.finishedRun?.id ?? ''));
  }
});

forEachStore('a run whose every job was skipped is held when settled', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 2, { skipReason: 'target disabled' }));
  assert.deepEqual(await claimAs(store, { worker: 'w', now: T0 + 10, leaseMs: LEASE, kinds: KINDS }), { ok: false, code: 'empty' });
  const settled = await store.settleRun({ runId: 'r1', now: T0 + 10 });
  assert.ok(settled.ok);
  assert.equal(settled.verdict, 'held');
  assert.equal((await store.getRun('r1'))?.verdict, 'held');
  assert.deepEqual(await store.settleRun({ runId: 'r1', now: T0 + 11 }), { ok: false, code: 'finished' });
  assert.deepEqual(await store.settleRun({ runId: 'nope', now: T0 + 11 }), { ok: false, code: 'not_found' });
});

forEachStore('settling a run with open jobs changes nothing', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 1));
  assert.deepEqual(await store.settleRun({ runId: 'r1', now: T0 + 10 }), { ok: false, code: 'unfinished' });
  assert.equal((await store.getRun('r1'))?.state, 'queued');
});

forEachStore('cancelling a queued run finishes it at once; again is finished', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 2));
  const cancelled = await store.cancelRun({ runId: 'r1', now: T0 + 10, reason: 'superseded' });
  assert.deepEqual(cancelled, { ok: true, cancelledJobs: ['r1/0', 'r1/1'], signalledJobs: [], runVerdict: 'cancelled' });
  const listed = await store.listJobs('r1');
  assert.deepEqual(listed.map((j) => [j.state, j.result, j.reason]), [
    ['finished', 'cancelled', 'superseded'],
    ['finished', 'cancelled', 'superseded'],
  ]);
  assert.deepEqual(await store.cancelRun({ runId: 'r1', now: T0 + 11, reason: 'again' }), { ok: false, code: 'finished' });
  assert.deepEqual(await store.cancelRun({ runId: 'nope', now: T0 + 11, reason: 'x' }), { ok: false, code: 'not_found' });
  // A finished run never gets a job claimed.
  assert.deepEqual(await claimAs(store, { worker: 'w', now: T0 + 20, leaseMs: LEASE, kinds: KINDS }), { ok: false, code: 'empty' });
});

forEachStore('cancelling a running run signals its workers; their finish collates it', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 3, { maxAttempts: 3 }));
  const a = await claim(store, 'wa');
  const b = await claim(store, 'wb');
  const cancelled = await store.cancelRun({ runId: 'r1', now: T0 + 20, reason: 'stop' });
  assert.deepEqual(cancelled, { ok: true, cancelledJobs: ['r1/2'], signalledJobs: [a.id, b.id].sort(), runVerdict: null });
  assert.equal((await store.getRun('r1'))?.state, 'running');
  const beat = await store.heartbeatJob({ jobId: a.id, worker: 'wa', now: T0 + 21, leaseMs: LEASE });
  assert.deepEqual(beat, { ok: true, lockedUntil: T0 + 21 + LEASE, cancelRequested: true });
  assert.deepEqual(await store.cancelRun({ runId: 'r1', now: T0 + 22, reason: 'again' }), {
    ok: true,
    cancelledJobs: [],
    signalledJobs: [],
    runVerdict: null,
  });
  const first = await store.finishJob({ jobId: a.id, worker: 'wa', now: T0 + 30, result: 'cancelled', reason: 'stopped' });
  assert.deepEqual(first, { ok: true, jobState: 'finished', runVerdict: null, runControlled: false });
  // An infra result after a cancel is not retried: the job ends cancelled.
  const second = await store.finishJob({ jobId: b.id, worker: 'wb', now: T0 + 31, result: 'infra', reason: 'node lost' });
  assert.deepEqual(second, { ok: true, jobState: 'finished', runVerdict: 'cancelled', runControlled: false });
  assert.equal((await store.getJob(b.id))?.result, 'cancelled');
  assert.equal((await store.getRun('r1'))?.verdict, 'cancelled');
});

forEachStore('the sweep requeues a job whose lease expired and, with no attempts to give back, counts the attempt', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 1, { maxAttempts: 2 }));
  await claim(store, 'w1', T0 + 10);
  const spend = { interruptedAttempts: 0 };
  assert.deepEqual(await store.sweepExpiredJobs(T0 + 10 + LEASE, spend), [], 'a lease is held until locked_until');
  const swept = await store.sweepExpiredJobs(T0 + 11 + LEASE, spend);
  assert.deepEqual(swept, [{ jobId: 'r1/0', runId: 'r1', worker: 'w1', target: 't0', attempt: 1, givenBack: false, jobState: 'queued', runVerdict: null, runControlled: false }]);
  const job = await store.getJob('r1/0');
  assert.deepEqual([job?.state, job?.attempt, job?.lockedBy], ['queued', 1, null]);
  assert.deepEqual(await store.finishJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 12 + LEASE, result: 'success', reason: null }), {
    ok: false,
    code: 'lost',
  });
  const again = await claim(store, 'w2', T0 + 11 + LEASE + INFRA_RETRY_BACKOFF_MS);
  assert.equal(again.attempt, 2);
  const later = T0 + 12 + 2 * LEASE + INFRA_RETRY_BACKOFF_MS;
  const final = await store.sweepExpiredJobs(later, spend);
  assert.deepEqual(final, [{ jobId: 'r1/0', runId: 'r1', worker: 'w2', target: 't0', attempt: 2, givenBack: false, jobState: 'finished', runVerdict: 'error', runControlled: false }]);
  assert.equal((await store.getJob('r1/0'))?.result, 'infra');
  const kinds = (await store.listEvents({ runId: 'r1' })).map((e) => e.kind);
  assert.deepEqual(kinds.filter((k) => k === 'job.reclaimed').length, 2);
  assert.equal(kinds.at(-1), 'run.finished');
});

forEachStore('an attempt lost to a dead worker is given back up to interruptedAttempts times; then, and for an infra result or a cancelled run, attempts are spent', async ({ store }) => {
  await run(store, 'r1', jobs('r1', 1, { maxAttempts: 1 }));
  let now = T0 + 10;
  const opts = { interruptedAttempts: 2, retryBackoffMs: 1 };
  const lose = async (worker: string) => {
    const claimed = await claim(store, worker, now);
    now += LEASE + 1;
    const [swept] = await store.sweepExpiredJobs(now, opts);
    now += 100;
    return { claimed: claimed.attempt, swept };
  };
  const first = await lose('w1');
  assert.deepEqual([first.claimed, first.swept?.givenBack, first.swept?.jobState], [1, true, 'queued'], 'a job with one attempt survives its worker\'s death');
  let job = await store.getJob('r1/0');
  assert.deepEqual([job?.attempt, job?.maxAttempts, job?.interruptions], [1, 2, 1]);
  const second = await lose('w2');
  assert.deepEqual([second.claimed, second.swept?.givenBack, second.swept?.jobState], [2, true, 'queued']);
  const third = await lose('w3');
  assert.deepEqual([third.claimed, third.swept?.givenBack, third.swept?.jobState, third.swept?.runVerdict], [3, false, 'finished', 'error'], 'the third loss is spent: a job that keeps killing its worker ends');
  job = await store.getJob('r1/0');
  assert.deepEqual([job?.attempt, job?.maxAttempts, job?.interruptions, job?.result], [3, 3, 2, 'infra']);
  const reclaimed = (await store.listEvents({ runId: 'r1' })).filter((e) => e.kind === 'job.reclaimed').map((e) => (e.payload as { givenBack?: boolean }).givenBack ?? 'final');
  assert.deepEqual(reclaimed, [true, true, 'final']);

  // An infra result the worker reports (its node failed) spends the attempt as before.
  await run(store, 'r2', jobs('r2', 1, { maxAttempts: 1 }));
  const claimed = await claim(store, 'w4', now);
  assert.equal(claimed.runId, 'r2');
  const ended = await store.finishJob({ jobId: claimed.id, worker: 'w4', now: now + 1, result: 'infra', reason: 'node lost' });
  assert.deepEqual(ended, { ok: true, jobState: 'finished', runVerdict: 'error', runControlled: false });

  // A job whose run was cancelled is not given another attempt.
  await run(store, 'r3', jobs('r3', 1, { maxAttempts: 1 }));
  const c = await claim(store, 'w5', now + 10);
  await store.cancelRun({ runId: 'r3', now: now + 11, reason: 'stop' });
  const [swept] = await store.sweepExpiredJobs(now + 12 + LEASE, opts);
  assert.deepEqual([swept?.jobId, swept?.givenBack, swept?.jobState], [c.id, false, 'finished']);
  assert.equal((await store.getJob(c.id))?.result, 'cancelled');
});

forEachStore('a restarted store sweeps the jobs of a worker that was killed', async ({ store, open }) => {
  await run(store, 'r1', jobs('r1', 1, { maxAttempts: 3 }));
  await claim(store, 'dead', T0 + 10);
  await store.close();
  const restarted = await open();
  const swept = await restarted.sweepExpiredJobs(T0 + 11 + LEASE);
  assert.equal(swept.length, 1);
  assert.equal((await claim(restarted, 'alive', T0 + 11 + LEASE + INFRA_RETRY_BACKOFF_MS)).attempt, 2);
});
