import assert from 'node:assert/strict';
import { exited, liveJobProcesses, serve, sleep } from '../helpers/fault-serve.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

forEachStore('sluice serve: SIGTERM waits for the running jobs; a second SIGTERM hands them back to the queue and exits; the next serve runs them', async ({ store, url }, t) => {
  // retries: 0 and a 30 s lease: a job lost any other way would end as infra, or wait for its lease.
  const site = await makeSite(tempDir(t), { timeout: '5m', retries: 0, lease: '30s' });
  const run = await submit(site, store, 'long', 'sleep 6', ['kilo/epel-7']);
  const first = serve(site.dir, url);
  t.after(() => { first.process.kill('SIGKILL'); });
  await first.working;
  const deadline = Date.now() + 30_000;
  while (liveJobProcesses([run]).length === 0 && Date.now() < deadline) await sleep(50);
  assert.ok(liveJobProcesses([run]).length > 0, 'the job runs');

  first.process.kill('SIGTERM');
  while (!first.stderr().includes('stopping after the running jobs') && Date.now() < deadline) await sleep(20);
  await sleep(300);
  assert.equal(first.process.exitCode, null, 'the first SIGTERM waits for the running job');
  assert.ok(liveJobProcesses([run]).length > 0, 'which still runs');
  first.process.kill('SIGTERM');
  await exited(first.process);
  assert.equal(first.process.exitCode, 0, first.stderr());
  assert.match(first.stderr(), /sluice serve: handing the running jobs back to the queue/);
  assert.deepEqual(liveJobProcesses([run]), [], 'its commands were stopped');
  const job = (await store.listJobs(run))[0]!;
  assert.deepEqual([job.state, job.attempt, job.maxAttempts, job.interruptions], ['queued', 1, 2, 1]);

  const second = serve(site.dir, url);
  t.after(() => { second.process.kill('SIGKILL'); });
  await second.working;
  const until = Date.now() + 60_000;
  while ((await store.getRun(run))?.reportedAt == null && Date.now() < until) await sleep(100);
  second.process.kill('SIGTERM');
  await exited(second.process);
  const done = await store.getRun(run);
  assert.equal(done?.verdict, 'pass', done?.reason ?? '');
  assert.deepEqual((await store.listJobs(run)).map((j) => [j.attempt, j.result]), [[2, 'success']]);
}, { timeoutMs: 120_000 });
