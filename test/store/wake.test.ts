import assert from 'node:assert/strict';
import { forEachStore } from '../helpers/store-matrix.js';
import { phase1Run } from '../helpers/run-records.js';

const T0 = 1_700_000_000_000;

forEachStore('wakes listening processes when work appears (PostgreSQL NOTIFY), and only then', async ({ dialect, store, open }) => {
  const other = await open();
  let wakes = 0;
  let onWake = () => {};
  const woken = new Promise<void>((resolve) => { onWake = resolve; });
  const unsubscribe = await other.subscribe(() => { wakes++; onWake(); });
  await store.recordUpdate({ id: 'hkvc', path: 'updates/hkvc.yml', contentHash: 'h', data: {}, now: T0 });
  assert.equal(wakes, 0, 'recording an update is no work for a worker');
  await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run('hkvc'), updateId: 'hkvc' }, jobs: [{ id: 'r1.a', target: 'kilo/epel-7', kind: 'phase1/image@local', maxAttempts: 1 }], now: T0 });
  if (dialect === 'postgres') {
    await Promise.race([woken, new Promise((_, reject) => setTimeout(() => reject(new Error('no wake-up within 5 s')), 5000))]);
    assert.ok(wakes >= 1);
  } else {
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(wakes, 0, 'SQLite serves one host: no cross-process wake-ups, the poll finds work');
  }
  await unsubscribe();
});

forEachStore('a finish that only frees a node says so: a worker that found nothing queued need not look again', async ({ dialect, store, open }, t) => {
  if (dialect !== 'postgres') {
    t.skip('SQLite sends no wake-ups across processes');
    return;
  }
  const other = await open();
  const hints: string[] = [];
  let heard = () => {};
  const unsubscribe = await other.subscribe((hint) => { hints.push(hint); heard(); });
  const next = async (n: number) => {
    const deadline = Date.now() + 5000;
    while (hints.length < n) {
      if (Date.now() > deadline) throw new Error(`${n} hints not heard within 5 s: ${hints.join(', ')}`);
      await new Promise<void>((resolve) => { heard = resolve; setTimeout(resolve, 100); });
    }
    return hints[n - 1];
  };
  const kind = 'phase1/image@local';
  await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run() }, jobs: [{ id: 'r1.a', target: 't1', kind, maxAttempts: 1 }, { id: 'r1.b', target: 't2', kind, maxAttempts: 1 }], now: T0 });
  assert.equal(await next(1), 'work', 'a new run is work');
  const claimed = await store.claimJobsWithLeases({ worker: 'w', holders: ['w#1', 'w#2'], now: T0 + 1, leaseMs: 60_000, kinds: [{ kind, leases: [] }] });
  assert.ok(claimed.ok && claimed.claims.length === 2);
  assert.ok((await store.finishJob({ jobId: 'r1.a', worker: 'w', now: T0 + 2, result: 'success', reason: null })).ok);
  assert.equal(await next(2), 'freed', 'a job of a run with another still running only frees its node');
  assert.ok((await store.finishJob({ jobId: 'r1.b', worker: 'w', now: T0 + 3, result: 'success', reason: null })).ok);
  assert.equal(await next(3), 'work', 'a finished run is work (its report)');
  await unsubscribe();
});
