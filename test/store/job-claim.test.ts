import assert from 'node:assert/strict';
import type { ClaimableKind, NewJob, Store } from '../../src/store/index.js';
import { traceSql } from '../../bench/sql-trace.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { phase1Run } from '../helpers/run-records.js';

const T0 = 1_700_000_000_000;
const LEASE = 60_000;

const NODE = { resource: 'provider:local', capacity: 2 };
const IMAGE: ClaimableKind = { kind: 'phase1/image@local', leases: [NODE] };
const PROVISION: ClaimableKind = { kind: 'phase1/provision@local', leases: [NODE, { resource: 'semaphore:phase1/provision', capacity: 1 }] };
const KINDS = [IMAGE, PROVISION];

function jobs(runId: string, kinds: readonly string[]): NewJob[] {
  return kinds.map((kind, i) => ({ id: `${runId}/${i}`, target: `t${i}`, kind, maxAttempts: 2 }));
}

async function run(store: Store, id: string, kinds: readonly string[], now: number): Promise<void> {
  assert.deepEqual(await store.insertRunWithJobs({ run: { id, ...phase1Run() }, jobs: jobs(id, kinds), now }), { ok: true });
}

let holders = 0;
const claim = (store: Store, now = T0 + 100, worker = 'w1') =>
  store.claimJobWithLeases({ worker, holder: `${worker}#${++holders}`, now, leaseMs: LEASE, kinds: KINDS });

forEachStore('a claim with nothing queued takes no lease', async ({ store }) => {
  assert.deepEqual(await claim(store), { ok: false, code: 'empty' });
  assert.deepEqual(await store.listLeases(), []);
  // A job of a kind the worker does not run is not claimed, and leases nothing either.
  await run(store, 'r1', ['phase1/image@cloud'], T0);
  assert.deepEqual(await claim(store), { ok: false, code: 'empty' });
  assert.deepEqual(await store.listLeases(), []);
});

forEachStore('a claim takes the job with its node and its class\'s semaphores, in one step', async ({ store }) => {
  await run(store, 'r1', ['phase1/provision@local'], T0);
  const c = await claim(store);
  assert.ok(c.ok);
  assert.equal(c.job.id, 'r1/0');
  assert.equal(c.job.state, 'running');
  assert.equal(c.job.attempt, 1);
  assert.deepEqual(c.leases.map((l) => [l.resource, l.slot]), [['provider:local', 0], ['semaphore:phase1/provision', 0]]);
  const leases = await store.listLeases();
  assert.deepEqual(leases.map((l) => [l.resource, l.slot, l.holder, l.jobId, l.expiresAt]), [
    ['provider:local', 0, c.leases[0]?.holder, 'r1/0', T0 + 100 + LEASE],
    ['semaphore:phase1/provision', 0, c.leases[0]?.holder, 'r1/0', T0 + 100 + LEASE],
  ]);
  assert.equal((await store.getRun('r1'))?.state, 'running');
  assert.deepEqual((await store.listEvents({ runId: 'r1' })).map((e) => e.kind), ['run.created', 'run.started', 'job.started']);
});

forEachStore('a full semaphore passes over its class and a full node over every class, oldest run first otherwise', async ({ store }) => {
  await run(store, 'r1', ['phase1/provision@local'], T0);
  await run(store, 'r2', ['phase1/provision@local'], T0 + 1);
  await run(store, 'r3', ['phase1/image@local'], T0 + 2);
  await run(store, 'r4', ['phase1/image@local'], T0 + 3);
  const first = await claim(store);
  assert.ok(first.ok);
  assert.equal(first.job.id, 'r1/0', 'the oldest run first');
  const second = await claim(store);
  assert.ok(second.ok);
  assert.equal(second.job.id, 'r3/0', 'the provisioning semaphore is full: r2 waits, the image job goes');
  assert.deepEqual(await claim(store), { ok: false, code: 'none' }, 'both nodes are busy');
  assert.equal((await store.listLeases('provider:local')).length, 2);
  // Ending r1's job frees its node and the semaphore in the same transaction.
  const done = await store.finishJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 200, result: 'success', reason: null, releaseLeases: first.leases });
  assert.ok(done.ok);
  assert.deepEqual((await store.listLeases()).map((l) => l.jobId), ['r3/0']);
  const third = await claim(store, T0 + 300);
  assert.ok(third.ok);
  assert.equal(third.job.id, 'r2/0', 'the semaphore is free again, and r2 is older than r4');
});

forEachStore('a job ended as lost still frees its leases; an expired lease stays held while its job runs, until the sweep reclaims the job', async ({ store }) => {
  await run(store, 'r1', ['phase1/image@local', 'phase1/image@local'], T0);
  const a = await claim(store);
  const b = await claim(store);
  assert.ok(a.ok && b.ok);
  // Another worker's finish is refused as lost, and frees only leases it holds.
  const lost = await store.finishJob({ jobId: 'r1/0', worker: 'other', now: T0 + 200, result: 'success', reason: null, releaseLeases: b.leases.map((l) => ({ ...l, holder: 'other#1' })) });
  assert.deepEqual(lost, { ok: false, code: 'lost' });
  assert.equal((await store.listLeases()).length, 2);
  const ended = await store.finishJob({ jobId: 'r1/1', worker: 'other', now: T0 + 200, result: 'success', reason: null, releaseLeases: b.leases });
  assert.deepEqual(ended, { ok: false, code: 'lost' }, 'r1/1 runs under w1');
  assert.deepEqual((await store.listLeases()).map((l) => l.jobId), ['r1/0']);
  // a's leases lapse, but its job still runs (its worker may be stalled, its commands
  // alive): the node stays held until a sweep reclaims the job.
  await run(store, 'r2', ['phase1/image@local', 'phase1/image@local'], T0 + 1);
  const later = T0 + 100 + LEASE;
  const c = await claim(store, later);
  assert.ok(c.ok);
  assert.deepEqual(await claim(store, later), { ok: false, code: 'none' }, 'the lapsed lease of a running job is not free');
  const swept = await store.sweepExpiredJobs(later + 1);
  assert.deepEqual(swept.map((j) => j.jobId), ['r1/0', 'r1/1'], 'both lapsed; r1/1\'s node was freed by the refused finish already');
  assert.deepEqual((await store.listLeases()).map((l) => l.jobId), [c.job.id], 'the sweep freed the reclaimed job\'s node');
  const d = await claim(store, later + 1);
  assert.ok(d.ok);
  assert.deepEqual([c.leases[0]?.slot, d.leases[0]?.slot].sort(), [0, 1]);
  assert.deepEqual(await claim(store, later + 1), { ok: false, code: 'empty' });
});

forEachStore('racing workers on separate stores never run a job twice nor hold more nodes than the capacity', async ({ store, open }) => {
  for (let r = 0; r < 6; r++) await run(store, `r${r}`, ['phase1/image@local', 'phase1/provision@local', 'phase1/image@local'], T0 + r);
  const others = [await open(), await open(), await open()];
  const stores = [store, ...others];
  const claimed: string[] = [];
  let running = 0;
  let peak = 0;
  await Promise.all(stores.map(async (s, w) => {
    for (let round = 0; round < 40; round++) {
      const c = await claim(s, T0 + 1000 + round, `w${w}`);
      if (!c.ok) { await new Promise((r) => setTimeout(r, 2)); continue; }
      claimed.push(c.job.id);
      peak = Math.max(peak, ++running);
      const held = await s.listLeases('provider:local');
      assert.ok(held.length <= NODE.capacity, `${held.length} nodes leased`);
      running--;
      const done = await s.finishJob({ jobId: c.job.id, worker: `w${w}`, now: T0 + 1000 + round, result: 'success', reason: null, releaseLeases: c.leases });
      assert.ok(done.ok);
    }
  }));
  assert.equal(claimed.length, 18, 'every job ran');
  assert.equal(new Set(claimed).size, 18, 'none twice');
  assert.ok(peak <= NODE.capacity);
  assert.deepEqual(await store.listLeases(), []);
});

/** A run of `n` jobs, every one claimed by w1 on a provider of capacity `n`. */
async function oneRunAllClaimed(store: Store, n: number) {
  await run(store, 'r1', Array.from({ length: n }, () => 'phase1/image@local'), T0);
  const wide: ClaimableKind[] = [{ kind: 'phase1/image@local', leases: [{ resource: 'provider:local', capacity: n }] }];
  const claims = [];
  for (let i = 0; i < n; i++) {
    const c = await store.claimJobWithLeases({ worker: 'w1', holder: `w1#${i}`, now: T0 + 10, leaseMs: LEASE, kinds: wide });
    assert.ok(c.ok);
    claims.push(c);
  }
  return claims;
}

forEachStore('jobs of one run finished all at once, each with its node and log, neither deadlock nor lose the verdict', async ({ store }) => {
  // On PostgreSQL a finish that updated its job row twice share-locked the run through the
  // foreign key, and two finishers then deadlocked on settling the run.
  const n = 16;
  const claims = await oneRunAllClaimed(store, n);
  const ended = await Promise.all(claims.map((c) => store.finishJob({
    jobId: c.job.id, worker: 'w1', now: T0 + 20, result: 'success', reason: 'the tests passed', node: 'local:1', logPath: `/logs/${c.job.id}`, releaseLeases: c.leases,
  })));
  assert.ok(ended.every((e) => e.ok));
  assert.deepEqual(ended.filter((e) => e.ok && e.runVerdict !== null).map((e) => e.ok && e.runVerdict), ['pass']);
  assert.equal((await store.getRun('r1'))?.verdict, 'pass');
  assert.ok((await store.listJobs('r1')).every((j) => j.node === 'local:1' && j.logPath === `/logs/${j.id}`));
  assert.deepEqual(await store.listLeases(), []);
});

forEachStore('a multi-node job takes all its nodes in the claim or none: never part of them while another job holds one', async ({ store }) => {
  const PAIR: ClaimableKind = { kind: 'phase1/image@local#2', leases: [{ ...NODE, count: 2 }] };
  const kinds = [IMAGE, PAIR];
  const take = (now = T0 + 100) => store.claimJobWithLeases({ worker: 'w1', holder: `w1#${++holders}`, now, leaseMs: LEASE, kinds });
  await run(store, 'r1', ['phase1/image@local'], T0);
  await run(store, 'r2', ['phase1/image@local#2'], T0 + 1);
  const single = await take();
  assert.ok(single.ok);
  assert.equal(single.job.id, 'r1/0');
  // One of the two nodes is busy: the pair waits, holding nothing, rather than keep one node and wait for the other.
  assert.deepEqual(await take(), { ok: false, code: 'none' });
  assert.deepEqual((await store.listLeases()).filter((l) => l.holder !== null).map((l) => l.jobId), ['r1/0']);
  await store.finishJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 200, result: 'success', reason: 'ok', releaseLeases: single.leases });
  const pair = await take(T0 + 300);
  assert.ok(pair.ok);
  assert.equal(pair.job.id, 'r2/0');
  assert.deepEqual(pair.leases.map((l) => [l.resource, l.slot]), [['provider:local', 0], ['provider:local', 1]]);
  // Both nodes are the pair's until it ends: nothing else fits.
  await run(store, 'r3', ['phase1/image@local'], T0 + 400);
  assert.deepEqual(await take(T0 + 500), { ok: false, code: 'none' });
});

forEachStore('a claim records where its attempt\'s log will grow, and the next attempt\'s claim its own', async ({ store }) => {
  const logged: ClaimableKind = { ...IMAGE, liveLogPath: (a) => `work/${a.runId}/${a.jobId}-a${a.attempt}/job.log` };
  await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run() }, jobs: [{ id: 'r1/0', target: 't0', kind: IMAGE.kind, maxAttempts: 2 }], now: T0 });
  const first = await store.claimJobWithLeases({ worker: 'w1', holder: 'w1#1', now: T0 + 100, leaseMs: LEASE, kinds: [logged] });
  assert.ok(first.ok);
  assert.equal(first.job.liveLogPath, 'work/r1/r1/0-a1/job.log');
  assert.equal((await store.getJob('r1/0'))?.liveLogPath, 'work/r1/r1/0-a1/job.log');
  assert.equal((await store.getJob('r1/0'))?.logPath, null, 'the log of an attempt that ended is apart');
  const ended = await store.finishJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 200, result: 'infra', reason: 'node lost', retryBackoffMs: 1, releaseLeases: first.leases });
  assert.ok(ended.ok && ended.jobState === 'queued');
  const second = await store.claimJobWithLeases({ worker: 'w2', holder: 'w2#1', now: T0 + 10_000, leaseMs: LEASE, kinds: [logged] });
  assert.ok(second.ok);
  assert.equal(second.job.liveLogPath, 'work/r1/r1/0-a2/job.log');
});

forEachStore('a claim for a kind whose log is not known beforehand forgets the previous attempt\'s', async ({ store }) => {
  await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run() }, jobs: [{ id: 'r1/0', target: 't0', kind: IMAGE.kind, maxAttempts: 2 }], now: T0 });
  const first = await store.claimJobWithLeases({ worker: 'w1', holder: 'w1#1', now: T0 + 100, leaseMs: LEASE, kinds: [{ ...IMAGE, liveLogPath: () => 'work/a1/job.log' }] });
  assert.ok(first.ok);
  await store.finishJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 200, result: 'infra', reason: 'node lost', retryBackoffMs: 1, releaseLeases: first.leases });
  const second = await store.claimJobWithLeases({ worker: 'w2', holder: 'w2#1', now: T0 + 10_000, leaseMs: LEASE, kinds: [IMAGE] });
  assert.ok(second.ok);
  assert.equal(second.job.liveLogPath, null);
  assert.equal((await store.getJob('r1/0'))?.liveLogPath, null);
});

forEachStore('a claim records the dashboard of the serve whose worker runs the attempt, and the next claim its own', async ({ store }) => {
  await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run() }, jobs: [{ id: 'r1/0', target: 't0', kind: IMAGE.kind, maxAttempts: 2 }], now: T0 });
  const first = await store.claimJobWithLeases({ worker: 'a:1', holder: 'a:1#1', now: T0 + 100, leaseMs: LEASE, kinds: [IMAGE], origin: 'http://ci-a:8080' });
  assert.ok(first.ok);
  assert.equal(first.job.logOrigin, 'http://ci-a:8080');
  assert.equal((await store.getJob('r1/0'))?.logOrigin, 'http://ci-a:8080');
  await store.finishJob({ jobId: 'r1/0', worker: 'a:1', now: T0 + 200, result: 'infra', reason: 'node lost', retryBackoffMs: 1, releaseLeases: first.leases });
  const second = await store.claimJobWithLeases({ worker: 'cli:2', holder: 'cli:2#1', now: T0 + 10_000, leaseMs: LEASE, kinds: [IMAGE] });
  assert.ok(second.ok);
  assert.equal((await store.getJob('r1/0'))?.logOrigin, null, 'a worker with no dashboard: the log is nowhere else to be read');
});

forEachStore('one claim transaction takes several jobs in the fair order a claim each would, up to the free nodes and the holders', async ({ store }) => {
  const node = { resource: 'provider:local', capacity: 3 };
  const kinds: ClaimableKind[] = [{ kind: 'phase1/image@local', leases: [node] }, { kind: 'phase1/provision@local', leases: [node, { resource: 'semaphore:phase1/provision', capacity: 1 }] }];
  await run(store, 'r1', ['phase1/image@local', 'phase1/image@local', 'phase1/image@local'], T0);
  await run(store, 'r2', ['phase1/provision@local', 'phase1/provision@local'], T0 + 1);
  await run(store, 'r3', ['phase1/image@local'], T0 + 2);
  const batch = await store.claimJobsWithLeases({ worker: 'w1', holders: ['w1#a', 'w1#b', 'w1#c', 'w1#d', 'w1#e'], now: T0 + 100, leaseMs: LEASE, kinds });
  assert.ok(batch.ok);
  // Idle runs first, oldest first (r1, r2, r3), each run's first job: r1's second waits for the idle r3.
  assert.deepEqual(batch.claims.map((c) => c.job.id), ['r1/0', 'r2/0', 'r3/0'], 'three nodes: three jobs, one per idle run');
  assert.deepEqual(batch.claims.map((c) => c.leases.map((l) => `${l.resource}:${l.slot}:${l.holder}`)), [
    ['provider:local:0:w1#a'], ['provider:local:1:w1#b', 'semaphore:phase1/provision:0:w1#b'], ['provider:local:2:w1#c'],
  ]);
  assert.deepEqual(batch.claims.map((c) => c.startedRun?.id), ['r1', 'r2', 'r3'], 'each claim started its run, and says so');
  assert.equal((await store.listLeases()).filter((l) => l.holder !== null).length, 4);
  assert.deepEqual(await store.claimJobsWithLeases({ worker: 'w1', holders: ['w1#f'], now: T0 + 100, leaseMs: LEASE, kinds }), { ok: false, code: 'none' }, 'every node is busy');
  // r1's job ends: the next batch takes r1's next job, not r2's (the semaphore is full), and only one (one free node).
  const done = await store.finishJob({ jobId: 'r1/0', worker: 'w1', now: T0 + 200, result: 'success', reason: null, releaseLeases: batch.claims[0]?.leases ?? [] });
  assert.ok(done.ok);
  const next = await store.claimJobsWithLeases({ worker: 'w1', holders: ['w1#g', 'w1#h'], now: T0 + 300, leaseMs: LEASE, kinds });
  assert.ok(next.ok);
  assert.deepEqual(next.claims.map((c) => [c.job.id, c.startedRun?.id]), [['r1/1', undefined]], 'one node was free; r1 was started already');
});

forEachStore('finishes that arrive together are written together, and one that cannot be written fails alone', async ({ store }) => {
  const n = 6;
  const claims = await oneRunAllClaimed(store, n);
  // The first is written at once; the rest wait for it and go as one transaction, which the
  // third's excerpt (a BigInt: no JSON) breaks: each of them is then written alone.
  const ended = await Promise.allSettled(claims.map((c, i) => store.finishJob({
    jobId: c.job.id, worker: 'w1', now: T0 + 20, result: 'success', reason: `ok ${i}`, releaseLeases: c.leases,
    ...(i === 2 ? { excerpt: { lines: 1n } } : {}),
  })));
  assert.deepEqual(ended.map((e) => e.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  const jobs = await store.listJobs('r1');
  assert.deepEqual(jobs.map((j) => [j.state, j.reason]), claims.map((_, i) => (i === 2 ? ['running', null] : ['finished', `ok ${i}`])));
  // The failed one still holds its node; the others' are free, and the run waits for the last job.
  assert.deepEqual((await store.listLeases()).filter((l) => l.holder !== null).map((l) => l.jobId), [claims[2]?.job.id]);
  assert.equal((await store.getRun('r1'))?.state, 'running');
  const last = await store.finishJob({ jobId: claims[2]?.job.id ?? '', worker: 'w1', now: T0 + 30, result: 'success', reason: 'ok 2', releaseLeases: claims[2]?.leases ?? [] });
  assert.ok(last.ok && last.runVerdict === 'pass');
  assert.equal((await store.listEvents({ runId: 'r1' })).filter((e) => e.kind === 'job.finished').length, n);
});

forEachStore('six finishes issued at once take two write transactions: the first alone, the rest together', async ({ store }) => {
  const n = 6;
  const claims = await oneRunAllClaimed(store, n);
  const trace = traceSql();
  const ended = await Promise.all(claims.map((c) => store.finishJob({ jobId: c.job.id, worker: 'w1', now: T0 + 20, result: 'success', reason: 'ok', releaseLeases: c.leases })));
  const report = trace.stop();
  const begins = report.byStatement.filter((s) => /^begin/i.test(s.sql)).reduce((n, s) => n + s.calls, 0);
  assert.equal(begins, 2);
  assert.deepEqual(ended.filter((e) => e.ok && e.runVerdict !== null).map((e) => e.ok && e.runVerdict), ['pass']);
  assert.deepEqual(await store.listLeases().then((ls) => ls.filter((l) => l.holder !== null)), []);
});

forEachStore('a claim with nothing queued opens no transaction', async ({ store, dialect }) => {
  const trace = traceSql();
  const claimed = await store.claimJobWithLeases({ worker: 'w1', holder: 'w1#1', now: T0, leaseMs: LEASE, kinds: [IMAGE] });
  const report = trace.stop();
  assert.deepEqual(claimed, { ok: false, code: 'empty' });
  assert.equal(report.byStatement.filter((s) => /^begin/i.test(s.sql)).length, 0);
  // One round trip on PostgreSQL; SQLite has none, and two small statements cost less than their union.
  assert.equal(report.statements, dialect === 'postgres' ? 1 : 2);
});

forEachStore('a batch of claims takes the jobs, slots and order that as many claims one after another would', async ({ store, open, freshUrl }) => {
  // Two databases with the same queue: one is claimed in batches, the other one job at a time.
  const single = await open(undefined, await freshUrl());
  const node = { resource: 'provider:local', capacity: 9 };
  const kinds: ClaimableKind[] = [
    { kind: 'phase1/image@local', leases: [node] },
    { kind: 'phase1/provision@local', leases: [node, { resource: 'semaphore:phase1/provision', capacity: 2 }] },
  ];
  const shapes: string[][] = [
    ['phase1/image@local', 'phase1/image@local', 'phase1/image@local', 'phase1/image@local'],
    ['phase1/provision@local', 'phase1/image@local', 'phase1/provision@local', 'phase1/provision@local'],
    ['phase1/image@local'],
    ['phase1/image@local', 'phase1/provision@local', 'phase1/image@local'],
  ];
  for (const s of [store, single]) {
    for (const [i, shape] of shapes.entries()) await run(s, `r${i}`, shape, T0 + i);
    // r0 already has a job running: its others sort behind the idle runs' first jobs.
    const first = await s.claimJobsWithLeases({ worker: 'w', holders: ['w#0'], now: T0 + 10, leaseMs: LEASE, kinds });
    assert.ok(first.ok);
    assert.deepEqual(first.claims.map((c) => c.job.id), ['r0/0']);
  }
  const batched: string[][] = [];
  let n = 0;
  for (const size of [3, 5]) {
    const batch = await store.claimJobsWithLeases({ worker: 'w', holders: Array.from({ length: size }, () => `w#${++n}`), now: T0 + 20, leaseMs: LEASE, kinds });
    assert.ok(batch.ok);
    batched.push(batch.claims.map((c) => `${c.job.id} ${c.leases.map((l) => `${l.resource}:${l.slot}`).join(' ')}`));
  }
  const oneByOne: string[] = [];
  for (;;) {
    const c = await single.claimJobWithLeases({ worker: 'w', holder: `w#${++n}`, now: T0 + 20, leaseMs: LEASE, kinds });
    if (!c.ok) break;
    oneByOne.push(`${c.job.id} ${c.leases.map((l) => `${l.resource}:${l.slot}`).join(' ')}`);
  }
  assert.deepEqual(batched.flat(), oneByOne);
  // The fair order across runs: idle runs' first jobs, then each run's next by how busy it
  // is; the provisioning semaphore (2) full after r3/1, r1's last two wait.
  assert.deepEqual(oneByOne.map((c) => c.split(' ')[0]), ['r1/0', 'r2/0', 'r3/0', 'r0/1', 'r1/1', 'r3/1', 'r0/2', 'r3/2']);
  assert.equal(batched[1]?.length, 5, 'nine nodes: the first claim, three, then five');
});

forEachStore('a claim is empty only when no job of any kind the worker could run is queued, not only of those that fit now', async ({ store }) => {
  await run(store, 'r1', ['phase1/image@local#2'], T0);
  const oneNode = [IMAGE];
  const ask = (emptyKinds?: string[]) => store.claimJobsWithLeases({ worker: 'w', holders: ['w#1'], now: T0 + 1, leaseMs: LEASE, kinds: oneNode, ...(emptyKinds ? { emptyKinds } : {}) });
  assert.deepEqual(await ask(), { ok: false, code: 'empty' }, 'none of the kinds asked is queued');
  // A two-node job is queued: a worker with one node free learns that a second may fit it.
  assert.deepEqual(await ask(['phase1/image@local', 'phase1/image@local#2']), { ok: false, code: 'none' });
});
