import assert from 'node:assert/strict';
import type { Store } from '../../src/store/index.js';
import { liveJobProcesses, sleep } from '../helpers/fault-serve.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, siteEngine, submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

/**
 * The store as a worker cut off from it would see it: its heartbeats fail (the database
 * unreachable from this worker only), everything else works. The store itself is real.
 */
function heartbeatsFailFor(store: Store, jobAttempt: { attempt: number }): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'heartbeatJob') {
        return async (input: Parameters<Store['heartbeatJob']>[0]) => {
          const job = await target.getJob(input.jobId);
          if (job?.attempt === jobAttempt.attempt) throw new Error('connection refused (the test cut this worker off)');
          return target.heartbeatJob(input);
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

forEachStore('an attempt whose heartbeats fail stops its own commands before its lease runs out; the job is given back and runs again', async ({ store }, t) => {
  const site = await makeSite(tempDir(t), { timeout: '5m', retries: 0, lease: '2s' });
  const run = await submit(site, store, 'cut-off', 'sleep 4.5', ['kilo/epel-7']);
  const engine = siteEngine(site, heartbeatsFailFor(store, { attempt: 1 }), { workerId: 'cut-off', leaseMs: 2000 });
  t.after(() => engine.stop());
  engine.start();
  const deadline = Date.now() + 30_000;
  while (liveJobProcesses([run]).length === 0 && Date.now() < deadline) await sleep(20);
  assert.ok(liveJobProcesses([run]).length > 0, 'the job runs');
  const claimed = (await store.listJobs(run))[0]!;
  assert.equal(claimed.attempt, 1);
  const leaseEnds = claimed.lockedUntil as number;

  // No heartbeat of attempt 1 succeeds: its commands must be gone before its lease runs out.
  while (liveJobProcesses([run]).length > 0 && Date.now() < leaseEnds + 5_000) await sleep(10);
  const stoppedAt = Date.now();
  assert.deepEqual(liveJobProcesses([run]), [], 'the commands were stopped');
  assert.ok(stoppedAt < leaseEnds, `stopped ${leaseEnds - stoppedAt} ms before the lease ran out, not ${stoppedAt - leaseEnds} ms after`);
  t.diagnostic(`stopped ${leaseEnds - stoppedAt} ms before the lease ran out (lease 2 s, margin a sixth)`);

  // The sweep gives the attempt back once the lease has run out; attempt 2 beats and ends.
  const done = await engine.waitForRun(run);
  assert.equal(done.verdict, 'pass');
  const job = (await store.listJobs(run))[0]!;
  assert.deepEqual([job.attempt, job.interruptions, job.result], [2, 1, 'success']);
});
