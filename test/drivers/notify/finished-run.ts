import assert from 'node:assert/strict';
import type { Job, Run, Store } from '../../../src/store/index.js';
import { claimAs } from '../../helpers/claim.js';
import { phase1Run } from '../../helpers/run-records.js';

export const ERROR_LINE = 'ERROR: nothing provides python-oslo-config >= 2:1.9 needed by openstack-nova-2015.1.0';
export const KIND = 'phase1/notify-test';

/**
 * A phase1 run with its verdict: kilo/epel-7 failed with the error line above stored as its
 * excerpt (as analysis stores it), kilo/epel-8 passed. Nothing reports it: the outbox owes its report.
 */
export async function failedRun(store: Store, runId: string, now: number): Promise<{ run: Run; jobs: Job[] }> {
  await store.recordUpdate({ id: 'nova', path: 'updates/nova.yml', contentHash: 'h', data: {}, now });
  const inserted = await store.insertRunWithJobs({
    run: { id: runId, ...phase1Run('nova'), updateId: 'nova' },
    jobs: [{ id: `${runId}-el7`, target: 'kilo/epel-7', kind: KIND, maxAttempts: 1 }, { id: `${runId}-el8`, target: 'kilo/epel-8', kind: KIND, maxAttempts: 1 }],
    now,
  });
  assert.ok(inserted.ok, JSON.stringify(inserted));
  for (let i = 0; i < 2; i++) {
    const claim = await claimAs(store, { worker: 'w', now: now + 1, leaseMs: 60_000, kinds: [KIND] });
    assert.ok(claim.ok);
    const failing = claim.job.target === 'kilo/epel-7';
    await store.finishJob({
      jobId: claim.job.id, worker: 'w', now: now + 2, result: failing ? 'failure' : 'success', reason: failing ? 'the test command exited with status 1' : null,
      ...(failing ? { excerpt: { totalLines: 120, lines: [{ n: 41, text: 'Running transaction check' }, { n: 42, text: ERROR_LINE, matched: 'dnf/nothing-provides' }] } } : {}),
    });
  }
  const run = await store.getRun(runId);
  assert.ok(run);
  assert.equal(run.verdict, 'fail');
  return { run, jobs: await store.listJobs(runId) };
}
