import assert from 'node:assert/strict';
import type { Store } from '../../src/store/index.js';
import { claimAs } from '../helpers/claim.js';
import { phase1Run } from '../helpers/run-records.js';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const KIND = 'phase1/image@local';

/** A phase1 run of `hkvc` with content `hash` on two targets: kilo/el7 passes, kilo/el8 fails (with these failed tests). */
async function failedRun(store: Store, id: string, hash: string, at: number, failedTests: readonly string[] = []): Promise<void> {
  await store.insertRunWithJobs({
    run: { id, ...phase1Run('hkvc', { contentHash: hash }), updateId: 'hkvc' },
    jobs: [{ id: `${id}.a`, target: 'kilo/el7', kind: KIND, maxAttempts: 1 }, { id: `${id}.b`, target: 'kilo/el8', kind: KIND, maxAttempts: 1 }],
    now: at,
  });
  for (let i = 0; i < 2; i++) {
    const claim = await claimAs(store, { worker: 'w', now: at + 1, leaseMs: 60_000, kinds: [KIND] });
    assert.ok(claim.ok);
    if (claim.job.target === 'kilo/el8' && failedTests.length > 0) {
      await store.recordTestResults({ jobId: claim.job.id, attempt: 1, runId: id, target: 'kilo/el8', content: hash, now: at + 2, results: [...failedTests.map((t) => ({ testId: t, status: 'fail' as const })), { testId: 'ok_test', status: 'pass' as const }] });
    }
    await store.finishJob({ jobId: claim.job.id, worker: 'w', now: at + 2, result: claim.job.target === 'kilo/el8' ? 'failure' : 'success', reason: claim.job.target === 'kilo/el8' ? 'tests failed' : null });
  }
}

forEachStore('a waiver of a failed job turns a finished run to pass, owes a new report, and stays with its content', async ({ store }) => {
  await store.recordUpdate({ id: 'hkvc', path: 'updates/hkvc.yml', contentHash: 'h1', data: {}, now: T0 });
  await failedRun(store, 'r1', 'h1', T0);
  assert.equal((await store.getRun('r1'))?.verdict, 'fail');
  assert.ok(await store.markRunReported({ runId: 'r1', now: T0 + 5, revision: 0 }));

  assert.deepEqual(await store.addWaiver({ runId: 'r1', target: 'kilo/el7', test: null, reason: 'x', by: 'rm', now: T0 + 10, expiresAt: T0 + DAY }), { ok: false, code: 'not_failed' });
  const added = await store.addWaiver({ runId: 'r1', target: 'kilo/el8', test: null, reason: 'known <mirror> flake', by: 'rm', now: T0 + 10, expiresAt: T0 + 7 * DAY });
  assert.ok(added.ok);
  assert.equal(added.recollated?.verdict, 'pass');
  const run = await store.getRun('r1');
  assert.equal(run?.verdict, 'pass');
  assert.match(run?.reason ?? '', /^passed on kilo\/el7; waived failure on kilo\/el8 \(by rm: known <mirror> flake, until .*waiver w/);
  assert.equal(run?.reportedAt, null, 'the new verdict owes a report');
  assert.equal(run?.verdictRevision, 1);
  const jobs = await store.listJobs('r1');
  assert.equal(jobs.find((j) => j.target === 'kilo/el8')?.waiver?.id, added.waiver.id);
  assert.equal(jobs.find((j) => j.target === 'kilo/el7')?.waiver, null);
  // A report of the old verdict (revision 0) does not count for the new one.
  assert.equal(await store.markRunReported({ runId: 'r1', now: T0 + 11, revision: 0 }), false);
  assert.equal(await store.markRunReported({ runId: 'r1', now: T0 + 12, revision: 1 }), true);
  const kinds = (await store.listEvents({ runId: 'r1' })).map((e) => e.kind);
  assert.ok(kinds.includes('waiver.added') && kinds.includes('run.recollated'));

  // A new patch set of the same update is other content: the waiver does not cover it.
  await store.recordUpdate({ id: 'hkvc', path: 'updates/hkvc.yml', contentHash: 'h2', data: {}, now: T0 + 20 });
  await failedRun(store, 'r2', 'h2', T0 + 20);
  assert.equal((await store.getRun('r2'))?.verdict, 'fail');
  assert.equal((await store.listJobs('r2')).find((j) => j.target === 'kilo/el8')?.waiver, null);
  // A rerun of the waived content is covered while the waiver lasts, and not once it expired.
  await failedRun(store, 'r3', 'h1', T0 + 30);
  assert.equal((await store.getRun('r3'))?.verdict, 'pass');
  await failedRun(store, 'r4', 'h1', T0 + 8 * DAY);
  assert.equal((await store.getRun('r4'))?.verdict, 'fail', 'an expired waiver covers nothing');

  // Revoked: recorded, never deleted; a later run of the content is not covered.
  assert.ok((await store.revokeWaiver({ id: added.waiver.id, by: 'rm2', reason: 'fixed', now: T0 + 40 })).ok);
  assert.deepEqual(await store.revokeWaiver({ id: added.waiver.id, by: 'rm2', reason: 'again', now: T0 + 41 }), { ok: false, code: 'revoked' });
  const listed = await store.listWaivers({ updateId: 'hkvc' });
  assert.deepEqual(listed.map((w) => [w.id, w.revokedBy, w.contentHash]), [[added.waiver.id, 'rm2', 'h1']]);
});

forEachStore('a waiver naming a test covers the job only when that test is its only failed test', async ({ store }) => {
  await store.recordUpdate({ id: 'hkvc', path: 'updates/hkvc.yml', contentHash: 'h1', data: {}, now: T0 });
  await failedRun(store, 'r1', 'h1', T0, ['test_a', 'test_b']);
  assert.deepEqual(await store.addWaiver({ runId: 'r1', target: 'kilo/el8', test: 'test_c', reason: 'x', by: 'rm', now: T0 + 10, expiresAt: T0 + DAY }), { ok: false, code: 'test_not_failed' });
  const two = await store.addWaiver({ runId: 'r1', target: 'kilo/el8', test: 'test_a', reason: 'flaky', by: 'rm', now: T0 + 10, expiresAt: T0 + DAY });
  assert.ok(two.ok);
  assert.equal(two.recollated?.verdict, 'fail', 'test_b failed too: the waiver of test_a does not cover the job');
  assert.equal(two.recollated?.changed, false);
  assert.equal((await store.getRun('r1'))?.verdictRevision, 0);
  await failedRun(store, 'r2', 'h1', T0 + 20, ['test_a']);
  const run = await store.getRun('r2');
  assert.equal(run?.verdict, 'pass', 'a rerun where only test_a failed is covered');
  assert.match(run?.reason ?? '', /waived failure on kilo\/el8 \(test test_a, by rm: flaky/);
});
