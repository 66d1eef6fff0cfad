import assert from 'node:assert/strict';
import { explainLines } from '../../src/cli/explain.js';
import { liveJobProcesses, sleep } from '../helpers/fault-serve.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, siteEngine, submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

forEachStore('a stopping worker hands its running jobs back: commands stopped, queued at once with the attempt given back, leases freed', async ({ store }, t) => {
  const site = await makeSite(tempDir(t), { timeout: '5m', retries: 0, lease: '30s' });
  const run = await submit(site, store, 'long', 'sleep 300', ['kilo/epel-7']);
  const engine = siteEngine(site, store, { workerId: 'stopping', leaseMs: 30_000 });
  engine.start();
  const deadline = Date.now() + 30_000;
  while (liveJobProcesses([run]).length === 0 && Date.now() < deadline) await sleep(50);
  assert.ok(liveJobProcesses([run]).length > 0, 'the job runs');
  const before = (await store.listJobs(run))[0]!;
  assert.deepEqual([before.state, before.attempt, before.maxAttempts], ['running', 1, 1]);

  const asked = Date.now();
  engine.handBack();
  await engine.stop();
  const took = Date.now() - asked;
  const job = (await store.listJobs(run))[0]!;
  // retries: 0 and a lease of 30 s: without the hand-back the job would end as infra, or wait for its lease.
  assert.deepEqual([job.state, job.attempt, job.maxAttempts, job.interruptions, job.lockedBy], ['queued', 1, 2, 1, null]);
  assert.ok(job.availableAt <= Date.now(), 'claimable at once, no back-off');
  assert.equal(job.reason, 'handed back to the queue: worker stopping stopped');
  assert.equal((await store.getRun(run))?.verdict, null, 'no verdict: the run goes on');
  assert.deepEqual((await store.listLeases()).filter((l) => l.holder !== null), [], 'its node is free');
  assert.deepEqual(liveJobProcesses([run]), [], 'its commands were stopped');
  t.diagnostic(`handed back and stopped in ${took} ms`);
  const events = await store.listEvents({ runId: run });
  assert.match(explainLines((await store.getRun(run))!, [job], events).join('\n'), /attempt 1: handed back to the queue: worker stopping stopped; the attempt given back/);

  // Another worker takes it at once (its second attempt) and ends it; here by a cancel.
  const next = siteEngine(site, store, { workerId: 'next' });
  next.start();
  const until = Date.now() + 30_000;
  while ((await store.listJobs(run))[0]?.attempt !== 2 && Date.now() < until) await sleep(50);
  assert.equal((await store.listJobs(run))[0]?.state, 'running');
  await store.cancelRun({ runId: run, now: Date.now(), reason: 'test over' });
  const done = await next.waitForRun(run);
  await next.stop();
  assert.equal(done.verdict, 'cancelled');
});

forEachStore('a job whose run was cancelled is not handed back, and a job that ended before the hand-back keeps its result', async ({ store }, t) => {
  const site = await makeSite(tempDir(t), { timeout: '5m', retries: 0, lease: '30s' });
  const quick = await submit(site, store, 'quick', 'sleep 0.1', ['kilo/epel-7']);
  const engine = siteEngine(site, store, { workerId: 'w1', leaseMs: 30_000 });
  engine.start();
  assert.equal((await engine.waitForRun(quick)).verdict, 'pass');
  const long = await submit(site, store, 'long', 'sleep 300', ['kilo/epel-7']);
  engine.notify();
  const deadline = Date.now() + 30_000;
  while (liveJobProcesses([long]).length === 0 && Date.now() < deadline) await sleep(50);
  await store.cancelRun({ runId: long, now: Date.now(), reason: 'not wanted' });
  engine.handBack();
  await engine.stop();
  const job = (await store.listJobs(long))[0]!;
  assert.deepEqual([job.state, job.result, job.interruptions], ['finished', 'cancelled', 0]);
  assert.equal((await store.getRun(quick))?.verdict, 'pass');
  assert.deepEqual(liveJobProcesses([long]), []);
});
