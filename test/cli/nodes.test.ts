import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite } from '../helpers/site.js';
import { phase1Run } from '../helpers/run-records.js';

test('sluice nodes shows each provider\'s leased and idle slots, their age and the job they run', async (t) => {
  const dir = tempDir(t);
  await makeSite(dir, { capacity: 3 });
  mkdirSync(join(dir, '.sluice'), { recursive: true });
  const now = Date.now();
  const store = await openStore(`sqlite:${join(dir, '.sluice', 'sluice.db')}`);
  try {
    // Nodes are leased as the worker leases them: with the job it claims, in one step.
    const kinds = [{ kind: 'phase1/image@local', leases: [{ resource: 'provider:local', capacity: 3 }] }];
    await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run() }, jobs: [{ id: 'r1.kilo_epel-7', target: 'kilo/epel-7', kind: 'phase1/image@local', maxAttempts: 1 }], now: now - 120_000 });
    const claim = await store.claimJobWithLeases({ worker: 'host-a:42', holder: 'host-a:42#1', now: now - 90_000, leaseMs: 10 * 60_000, kinds });
    assert.ok(claim.ok);
    // A worker that stopped renewing: its slot shows as expired, still its job's, until a sweep reaps the job and frees it.
    await store.insertRunWithJobs({ run: { id: 'r2', ...phase1Run() }, jobs: [{ id: 'r2.kilo_epel-7', target: 'kilo/epel-7', kind: 'phase1/image@local', maxAttempts: 1 }], now: now - 120_000 });
    const stalled = await store.claimJobWithLeases({ worker: 'host-b:7', holder: 'host-b:7#3', now: now - 60_000, leaseMs: 1000, kinds });
    assert.ok(stalled.ok);
  } finally {
    await store.close();
  }
  const text = await runCli(['nodes'], { cwd: dir, now });
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.trim().split('\n');
  assert.equal(lines[0], 'local (local): 2 of 3 leased');
  assert.match(lines[1]!, /^ {2}#0 {2}leased {2}host-a:42#1 {2}for 90s {2}expires in 510s {2}job r1\.kilo_epel-7 \(kilo\/epel-7\)$/);
  assert.match(lines[2]!, /^ {2}#1 {2}expired {2}host-b:7#3 {2}for 1m {2}lease expired {2}job r2\.kilo_epel-7 \(kilo\/epel-7\)$/);
  assert.equal(lines[3], '  #2  idle');
  const json = await runCli(['nodes', '--json'], { cwd: dir, now });
  const [local] = JSON.parse(json.stdout);
  assert.deepEqual(local.slots.map((s: { state: string }) => s.state), ['leased', 'expired', 'idle']);
  assert.deepEqual(local.slots[0].job, { id: 'r1.kilo_epel-7', runId: 'r1', target: 'kilo/epel-7' });
  assert.equal(local.slots[0].ageMs, 90_000);
});
