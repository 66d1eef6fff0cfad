import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import type { AdvanceStep, RunController } from '../../src/engine/run-controller.js';
import { promoteRun } from '../helpers/run-records.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { until } from '../web/fixture.js';

// A controller's `wait` step (a promote waiting for its approval): the run stays unfinished
// with the wait as its reason, holds no job, node nor advance lease, goes on when what it
// waits for happens, and a cancel still ends it.

const T0 = Date.now();

forEachStore('a waiting controlled run parks with its reason, lets its advance lease go, goes on when released, and is cancelled while it waits', async ({ store }) => {
  const released = new Set<string>();
  let advances = 0;
  const waiter: RunController = {
    name: 'waiter',
    async advance(run): Promise<AdvanceStep> {
      advances++;
      if (released.has(run.id)) return { kind: 'finish', verdict: 'pass', reason: 'went on', outcome: { pushed: [], failed: [], kept: [], published: [] } };
      return { kind: 'wait', why: `waits for ${run.id} to be released` };
    },
  };
  // One promote at a time: w1 first, w2 once w1 is over.
  const insert = async (id: string) => assert.ok((await store.insertRunWithJobs({ run: { id, ...promoteRun(['aaaa']), controller: 'waiter' }, jobs: [], now: T0 })).ok);
  await insert('w1');
  const engine = new Engine({ store, providers: [], controllers: [waiter], workerId: 'e1', leaseMs: 60_000, pollMs: 50, sweepEveryMs: 100 });
  engine.start();
  try {
    await until(async () => (await store.getRun('w1'))?.reason === 'waits for w1 to be released', 20_000, 'the run parks');
    const w1 = await store.getRun('w1');
    assert.equal(w1?.state, 'running');
    assert.deepEqual(await store.listJobs('w1'), []);
    // The lease (60 s) is let go after each look: another process can advance it between looks (a 1 ms claim, so it lapses at once).
    await until(() => store.claimRunAdvance({ runId: 'w1', worker: 'other', now: Date.now(), leaseMs: 1 }), 5000, 'the advance lease is free between looks');
    // Sweeps look again without writing a new event each time.
    const seen = advances;
    await until(() => advances > seen + 2, 20_000, 'sweeps look again');
    assert.equal((await store.listEvents({ runId: 'w1' })).filter((e) => e.kind === 'run.waiting').length, 1);

    // What it waited for happens: it goes on at the next look.
    released.add('w1');
    engine.notify();
    await until(async () => (await store.getRun('w1'))?.state === 'finished', 20_000, 'w1 goes on');
    const done = await store.getRun('w1');
    assert.equal(done?.verdict, 'pass');
    assert.equal(done?.reason, 'went on');

    // A cancel ends a waiting run.
    await insert('w2');
    engine.notify();
    await until(async () => (await store.getRun('w2'))?.reason === 'waits for w2 to be released', 20_000, 'w2 parks');
    assert.ok((await store.cancelRun({ runId: 'w2', now: Date.now(), reason: 'not this week' })).ok);
    await until(async () => (await store.getRun('w2'))?.state === 'finished', 20_000, 'the cancel');
    assert.equal((await store.getRun('w2'))?.verdict, 'cancelled');
  } finally {
    await engine.stop();
  }
});
