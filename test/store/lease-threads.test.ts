import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { openStore } from '../../src/store/index.js';
import { phase1Run } from '../helpers/run-records.js';
import { forEachStore } from '../helpers/store-matrix.js';

// Stores in separate threads contend for real: on SQLite each thread blocks in its own
// busy_timeout, on PostgreSQL each has its own pool. Each thread claims jobs with their
// node as the worker does, and every holder counts itself in shared memory between its
// claim and its finish (which frees the node), so the count can only pass the capacity
// if the database granted more slots than it has.

interface Job {
  url: string;
  holder: string;
  iterations: number;
  capacity: number;
  counters: SharedArrayBuffer;
}

const CURRENT = 0;
const MAX = 1;
const T0 = 1_700_000_000_000;
const KIND = 'phase1/image@local';

async function hammer(job: Job): Promise<number> {
  const counters = new Int32Array(job.counters);
  const store = await openStore(job.url, { busyTimeoutMs: 30_000 });
  let grants = 0;
  const kinds = [{ kind: KIND, leases: [{ resource: 'nodes', capacity: job.capacity }] }];
  try {
    for (let i = 0; i < job.iterations; i += 1) {
      const claim = await store.claimJobWithLeases({ worker: job.holder, holder: job.holder, now: T0, leaseMs: 3_600_000, kinds });
      if (!claim.ok) {
        await sleep(1);
        continue;
      }
      grants += 1;
      const current = Atomics.add(counters, CURRENT, 1) + 1;
      let max = Atomics.load(counters, MAX);
      while (current > max && Atomics.compareExchange(counters, MAX, max, current) !== max) max = Atomics.load(counters, MAX);
      await sleep(1);
      Atomics.sub(counters, CURRENT, 1);
      const finished = await store.finishJob({ jobId: claim.job.id, worker: job.holder, now: T0, result: 'success', reason: null, releaseLeases: claim.leases });
      if (!finished.ok) throw new Error(`${job.holder} lost job ${claim.job.id}`);
      if ((await store.listLeases('nodes')).some((l) => l.holder === job.holder)) throw new Error(`${job.holder} kept its node after its job finished`);
    }
  } finally {
    await store.close();
  }
  return grants;
}

function inThread(job: Job): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.once('message', (grants: number) => resolve(grants));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

if (isMainThread) {
  forEachStore('threads contending for one resource never hold more than its capacity', async ({ store, url }) => {
    const counters = new SharedArrayBuffer(8);
    const capacity = 2;
    // A job for every iteration of every thread, so only the node can keep a claim back.
    const jobs = Array.from({ length: 4 * 30 }, (_, i) => ({ id: `r1/${i}`, target: 't', kind: KIND, maxAttempts: 1 }));
    await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run() }, jobs, now: T0 });
    const grants = await Promise.all(
      ['t1', 't2', 't3', 't4'].map((holder) => inThread({ url, holder, iterations: 30, capacity, counters })),
    );
    const max = Atomics.load(new Int32Array(counters), MAX);
    assert.ok(max <= capacity, `${max} holders at once`);
    assert.ok(grants.reduce((a, b) => a + b, 0) >= 30, `grants per thread: ${grants.join(', ')}`);
  });
} else {
  parentPort?.postMessage(await hammer(workerData as Job));
}
