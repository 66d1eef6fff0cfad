import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { jobAnalyzer } from '../../src/analysis/job-analyzer.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { Engine } from '../../src/engine/engine.js';
import { openStore } from '../../src/store/index.js';
import { countingStore, makeBenchSite, submitUpdate } from '../../bench/bench-site.js';
import { tempDir } from '../helpers/paths.js';

const CHILDREN = 8;

test('a worker that found nothing queued does not ask again for each node its jobs free, yet takes new work at once', async (t) => {
  const dir = tempDir(t, 'sluice-drained-');
  const site = makeBenchSite(dir, { releases: 2, dists: 4, capacity: CHILDREN });
  const raw = await openStore(`sqlite:${join(dir, 'sluice.db')}`);
  const counting = countingStore(raw);
  const reported = new Map<string, () => void>();
  const reportOf = (runId: string) => new Promise<void>((resolve) => reported.set(runId, resolve));
  // A poll far longer than the test: only hints can start the second run in time.
  const engine = new Engine({
    store: counting.store, workerId: 'w', leaseMs: 30_000, pollMs: 600_000, sweepEveryMs: 600_000,
    providers: [localProvider({ name: 'local', capacity: CHILDREN, workDir: join(dir, 'work'), configDir: dir })],
    analyzer: jobAnalyzer({ store: raw }),
    reporters: [{ report: async (run) => reported.get(run.id)?.() }],
  });
  engine.start();
  try {
    const first = reportOf('run-a');
    await submitUpdate(site, counting.store, 'a', site.targets, Date.now());
    engine.notify();
    await first;
    const claims = counting.counts.get('claimJobsWithLeases')?.calls ?? 0;
    // At the start (empty), the batch of 8, the first freed node (empty): then the other
    // seven ends, and the report's hint, at most one more. One claim each would be 10 or more.
    assert.ok(claims <= 4, `${claims} claims for one run of ${CHILDREN} jobs`);
    const jobs = await raw.listJobs('run-a');
    assert.deepEqual(jobs.map((j) => j.result), Array(CHILDREN).fill('success'));
    // New work wakes the drained worker at once, not at its poll ten minutes away.
    const second = reportOf('run-b');
    await submitUpdate(site, counting.store, 'b', site.targets.slice(0, 2), Date.now());
    engine.notify();
    await Promise.race([second, new Promise((_, reject) => setTimeout(() => reject(new Error('the second run was not taken within 20 s')), 20_000))]);
  } finally {
    await engine.stop();
    await raw.close();
  }
});
