import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { openStore } from '../../src/store/index.js';
import { forEachStore } from '../helpers/store-matrix.js';

// Stores in separate threads contend for real: on SQLite each thread blocks in its own
// busy_timeout, on PostgreSQL each has its own pool. Every holder counts itself in
// shared memory between its acquire and its release, so the count can only pass the
// capacity if the database granted more slots than it has.

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

async function hammer(job: Job): Promise<number> {
  const counters = new Int32Array(job.counters);
  const store = await openStore(job.url, { busyTimeoutMs: 30_000 });
  let grants = 0;
  try {
    for (let i = 0; i < job.iterations; i += 1) {
      const lease = await store.acquireLease({ resource: 'nodes', capacity: job.capacity, holder: job.holder, now: T0, ttlMs: 3_600_000 });
      if (!lease.ok) {
        await sleep(1);
        continue;
      }
      grants += 1;
      const current = Atomics.add(counters, CURRENT, 1) + 1;
      let max = Atomics.load(counters, MAX);
      while (current > max && Atomics.compareExchange(counters, MAX, max, current) !== max) max = Atomics.load(counters, MAX);
      await sleep(1);
      Atomics.sub(counters, CURRENT, 1);
      const released = await store.releaseLease({ resource: 'nodes', slot: lease.slot, holder: job.holder });
      if (!released.ok) throw new Error(`${job.holder} lost slot ${lease.slot}`);
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
  forEachStore('threads contending for one resource never hold more than its capacity', async ({ url }) => {
    const counters = new SharedArrayBuffer(8);
    const capacity = 2;
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
