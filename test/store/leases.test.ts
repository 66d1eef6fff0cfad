import assert from 'node:assert/strict';
import type { LeaseNeed, Store } from '../../src/store/index.js';
import { phase1Run } from '../helpers/run-records.js';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;
const TTL = 60_000;
const nodes = { resource: 'provider:openstack', capacity: 2 };

let seq = 0;

/**
 * Takes a slot as the worker does: by claiming a queued job (of a kind of its own) that
 * needs it, the job and the slot in one step. `none` when the resource has no free slot.
 */
async function take(store: Store, need: LeaseNeed, holder: string, now: number, ttlMs = TTL) {
  const kind = `k${++seq}`;
  const jobId = `${kind}/0`;
  await store.insertRunWithJobs({ run: { id: kind, ...phase1Run() }, jobs: [{ id: jobId, target: 't', kind, maxAttempts: 1 }], now });
  const claim = await store.claimJobWithLeases({ worker: holder, holder, now, leaseMs: ttlMs, kinds: [{ kind, leases: [need] }] });
  if (!claim.ok) return claim;
  assert.equal(claim.leases.length, 1);
  return { ok: true, slot: claim.leases[0]?.slot, jobId } as const;
}

forEachStore('grants slots up to capacity, then has none', async ({ store }) => {
  const first = await take(store, nodes, 'w1', T0);
  assert.ok(first.ok);
  assert.equal(first.slot, 0);
  const second = await take(store, nodes, 'w2', T0);
  assert.ok(second.ok);
  assert.equal(second.slot, 1);
  assert.deepEqual(await take(store, nodes, 'w3', T0), { ok: false, code: 'none' });
  assert.deepEqual(await store.listLeases('provider:openstack'), [
    { resource: 'provider:openstack', slot: 0, holder: 'w1', jobId: first.jobId, acquiredAt: T0, expiresAt: T0 + TTL },
    { resource: 'provider:openstack', slot: 1, holder: 'w2', jobId: second.jobId, acquiredAt: T0, expiresAt: T0 + TTL },
  ]);
});

forEachStore('resources are counted apart', async ({ store }) => {
  await take(store, { ...nodes, capacity: 1 }, 'w1', T0);
  const other = await take(store, { resource: 'semaphore:phase2', capacity: 1 }, 'w1', T0);
  assert.ok(other.ok);
  assert.equal(other.slot, 0);
  assert.equal((await store.listLeases()).length, 2);
  assert.equal((await store.listLeases('semaphore:phase2')).length, 1);
});

forEachStore('a released slot is free again', async ({ store }) => {
  await take(store, nodes, 'w1', T0);
  await take(store, nodes, 'w2', T0);
  assert.deepEqual(await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w1' }), { ok: true });
  const again = await take(store, nodes, 'w3', T0 + 1);
  assert.ok(again.ok);
  assert.equal(again.slot, 0);
  assert.equal((await store.listLeases())[0]?.expiresAt, T0 + 1 + TTL);
});

forEachStore('an expired slot is taken by another holder once the sweep has reclaimed its job, not before', async ({ store }) => {
  await take(store, { ...nodes, capacity: 1 }, 'w1', T0);
  assert.deepEqual(await take(store, { ...nodes, capacity: 1 }, 'w2', T0 + TTL - 1), { ok: false, code: 'none' });
  // Expired, but its job still runs as far as the store knows (a stalled worker's commands may).
  assert.deepEqual(await take(store, { ...nodes, capacity: 1 }, 'w2', T0 + TTL + 1), { ok: false, code: 'none' });
  assert.equal((await store.sweepExpiredJobs(T0 + TTL + 1)).length, 1);
  const taken = await take(store, { ...nodes, capacity: 1 }, 'w2', T0 + TTL + 1);
  assert.ok(taken.ok);
  assert.equal(taken.slot, 0);
  assert.deepEqual((await store.listLeases()).map((l) => [l.holder, l.expiresAt]), [['w2', T0 + 2 * TTL + 1]]);
});

forEachStore('renewing extends the lease for its holder only', async ({ store }) => {
  await take(store, nodes, 'w1', T0);
  const renewed = await store.renewLease({ resource: nodes.resource, slot: 0, holder: 'w1', now: T0 + 30_000, ttlMs: TTL });
  assert.deepEqual(renewed, { ok: true, expiresAt: T0 + 30_000 + TTL });
  assert.deepEqual(await store.renewLease({ resource: nodes.resource, slot: 0, holder: 'intruder', now: T0 + 30_000, ttlMs: TTL }), {
    ok: false,
    code: 'lost',
  });
  assert.equal((await store.listLeases())[0]?.expiresAt, T0 + 30_000 + TTL);
});

forEachStore('a lease that has expired cannot be renewed, even by its holder', async ({ store }) => {
  await take(store, nodes, 'w1', T0);
  assert.deepEqual(await store.renewLease({ resource: nodes.resource, slot: 0, holder: 'w1', now: T0 + TTL, ttlMs: TTL }), {
    ok: false,
    code: 'lost',
  });
});

forEachStore('release is fenced by holder', async ({ store }) => {
  await take(store, { ...nodes, capacity: 1 }, 'w1', T0);
  await store.sweepExpiredJobs(T0 + TTL + 1);
  assert.ok((await take(store, { ...nodes, capacity: 1 }, 'w2', T0 + TTL + 1)).ok);
  assert.deepEqual(await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w1' }), { ok: false, code: 'lost' });
  assert.equal((await store.listLeases())[0]?.holder, 'w2', 'the stale holder did not free the new holder’s slot');
  assert.deepEqual(await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w2' }), { ok: true });
  assert.deepEqual(await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w2' }), { ok: false, code: 'lost' });
  assert.deepEqual(await store.listLeases(), []);
});

forEachStore('the sweep reclaims expired leases only once their jobs no longer run, and records each', async ({ store }) => {
  const w1 = await take(store, { ...nodes, capacity: 3 }, 'w1', T0);
  await take(store, { ...nodes, capacity: 3 }, 'w2', T0 + 10_000);
  const w3 = await take(store, { resource: 'pool:addresses', capacity: 5 }, 'w3', T0, 5_000);
  assert.ok(w1.ok && w3.ok);
  assert.deepEqual(await store.reclaimExpiredLeases(T0 + TTL + 1), [], 'their jobs still run: the leases stay held');
  // The job sweep reclaims the jobs whose locks lapsed (w1's and w3's), and frees their leases with them.
  assert.deepEqual((await store.sweepExpiredJobs(T0 + TTL + 1)).map((j) => j.jobId).sort(), [w1.jobId, w3.jobId].sort());
  assert.deepEqual((await store.listLeases()).map((l) => l.holder), ['w2']);
  const events = (await store.listEvents({ limit: 1000 })).filter((e) => e.kind === 'lease.reclaimed');
  assert.deepEqual(
    events.map((e) => [e.jobId, (e.payload as { holder: string }).holder]).sort(),
    [[w1.jobId, 'w1'], [w3.jobId, 'w3']].sort(),
  );
  assert.deepEqual(await store.reclaimExpiredLeases(T0 + TTL + 1), []);
  assert.deepEqual(await store.renewLease({ resource: nodes.resource, slot: 0, holder: 'w1', now: T0 + TTL, ttlMs: TTL }), {
    ok: false,
    code: 'lost',
  });
});

forEachStore('shrinking capacity hands out no slot above it', async ({ store }) => {
  await take(store, { ...nodes, capacity: 3 }, 'w1', T0);
  await take(store, { ...nodes, capacity: 3 }, 'w2', T0);
  await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w1' });
  const shrunk = await take(store, { ...nodes, capacity: 1 }, 'w3', T0);
  assert.ok(shrunk.ok);
  assert.equal(shrunk.slot, 0);
  assert.deepEqual(await take(store, { ...nodes, capacity: 1 }, 'w4', T0), { ok: false, code: 'none' });
});

forEachStore('a capacity of 0 has no room, and a lease time that is not a positive integer is refused', async ({ store }) => {
  assert.deepEqual(await take(store, { ...nodes, capacity: 0 }, 'w1', T0), { ok: false, code: 'none' });
  await assert.rejects(take(store, nodes, 'w1', T0, 1.5), RangeError);
  assert.deepEqual(await store.listLeases(), []);
});

forEachStore('separate stores racing for capacity 2 get exactly 2 slots', async (f) => {
  const stores = [f.store, await f.open(), await f.open()];
  for (let round = 0; round < 10; round += 1) {
    const now = T0 + round * 10 * TTL;
    const resource = `race:${round}`;
    const kind = `race${round}`;
    const jobs = Array.from({ length: 6 }, (_, i) => ({ id: `${kind}/${i}`, target: 't', kind, maxAttempts: 1 }));
    await f.store.insertRunWithJobs({ run: { id: kind, ...phase1Run() }, jobs, now });
    const results = await Promise.all(
      stores.flatMap((s, i) => [0, 1].map((k) => s.claimJobWithLeases({
        worker: `s${i}`, holder: `s${i}-${k}`, now, leaseMs: TTL, kinds: [{ kind, leases: [{ resource, capacity: 2 }] }],
      }))),
    );
    const granted = results.filter((r) => r.ok);
    assert.equal(granted.length, 2, `round ${round}: ${JSON.stringify(results.map((r) => (r.ok ? r.leases : r.code)))}`);
    assert.deepEqual(granted.map((r) => r.ok && r.leases[0]?.slot).sort(), [0, 1]);
    assert.equal((await f.store.listLeases(resource)).length, 2);
  }
});
