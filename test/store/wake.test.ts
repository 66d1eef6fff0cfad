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
