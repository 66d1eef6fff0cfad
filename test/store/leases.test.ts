import assert from 'node:assert/strict';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;
const TTL = 60_000;
const nodes = { resource: 'provider:openstack', capacity: 2, ttlMs: TTL };

forEachStore('grants slots up to capacity, then says full', async ({ store }) => {
  assert.deepEqual(await store.acquireLease({ ...nodes, holder: 'w1', now: T0, jobId: 'j1' }), {
    ok: true,
    slot: 0,
    expiresAt: T0 + TTL,
  });
  assert.deepEqual(await store.acquireLease({ ...nodes, holder: 'w2', now: T0 }), { ok: true, slot: 1, expiresAt: T0 + TTL });
  assert.deepEqual(await store.acquireLease({ ...nodes, holder: 'w3', now: T0 }), { ok: false, code: 'full' });
  assert.deepEqual(await store.listLeases('provider:openstack'), [
    { resource: 'provider:openstack', slot: 0, holder: 'w1', jobId: 'j1', acquiredAt: T0, expiresAt: T0 + TTL },
    { resource: 'provider:openstack', slot: 1, holder: 'w2', jobId: null, acquiredAt: T0, expiresAt: T0 + TTL },
  ]);
});

forEachStore('resources are counted apart', async ({ store }) => {
  await store.acquireLease({ ...nodes, capacity: 1, holder: 'w1', now: T0 });
  const other = await store.acquireLease({ resource: 'semaphore:phase2', capacity: 1, holder: 'w1', now: T0, ttlMs: TTL });
  assert.deepEqual(other, { ok: true, slot: 0, expiresAt: T0 + TTL });
  assert.equal((await store.listLeases()).length, 2);
  assert.equal((await store.listLeases('semaphore:phase2')).length, 1);
});

forEachStore('a released slot is free again', async ({ store }) => {
  await store.acquireLease({ ...nodes, holder: 'w1', now: T0 });
  await store.acquireLease({ ...nodes, holder: 'w2', now: T0 });
  assert.deepEqual(await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w1' }), { ok: true });
  assert.deepEqual(await store.acquireLease({ ...nodes, holder: 'w3', now: T0 + 1 }), { ok: true, slot: 0, expiresAt: T0 + 1 + TTL });
});

forEachStore('an expired slot can be taken by another holder', async ({ store }) => {
  await store.acquireLease({ ...nodes, capacity: 1, holder: 'w1', now: T0 });
  assert.deepEqual(await store.acquireLease({ ...nodes, capacity: 1, holder: 'w2', now: T0 + TTL - 1 }), { ok: false, code: 'full' });
  const taken = await store.acquireLease({ ...nodes, capacity: 1, holder: 'w2', now: T0 + TTL });
  assert.deepEqual(taken, { ok: true, slot: 0, expiresAt: T0 + 2 * TTL });
  assert.equal((await store.listLeases())[0]?.holder, 'w2');
});

forEachStore('renewing extends the lease for its holder only', async ({ store }) => {
  await store.acquireLease({ ...nodes, holder: 'w1', now: T0 });
  const renewed = await store.renewLease({ resource: nodes.resource, slot: 0, holder: 'w1', now: T0 + 30_000, ttlMs: TTL });
  assert.deepEqual(renewed, { ok: true, expiresAt: T0 + 30_000 + TTL });
  assert.deepEqual(await store.renewLease({ resource: nodes.resource, slot: 0, holder: 'intruder', now: T0 + 30_000, ttlMs: TTL }), {
    ok: false,
    code: 'lost',
  });
  assert.equal((await store.listLeases())[0]?.expiresAt, T0 + 30_000 + TTL);
});

forEachStore('a lease that has expired cannot be renewed, even by its holder', async ({ store }) => {
  await store.acquireLease({ ...nodes, holder: 'w1', now: T0 });
  assert.deepEqual(await store.renewLease({ resource: nodes.resource, slot: 0, holder: 'w1', now: T0 + TTL, ttlMs: TTL }), {
    ok: false,
    code: 'lost',
  });
});

forEachStore('release is fenced by holder', async ({ store }) => {
  await store.acquireLease({ ...nodes, capacity: 1, holder: 'w1', now: T0 });
  await store.acquireLease({ ...nodes, capacity: 1, holder: 'w2', now: T0 + TTL });
  assert.deepEqual(await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w1' }), { ok: false, code: 'lost' });
  assert.equal((await store.listLeases())[0]?.holder, 'w2', 'the stale holder did not free the new holder’s slot');
  assert.deepEqual(await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w2' }), { ok: true });
  assert.deepEqual(await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w2' }), { ok: false, code: 'lost' });
  assert.deepEqual(await store.listLeases(), []);
});

forEachStore('the sweep reclaims expired leases only, and records each', async ({ store }) => {
  await store.acquireLease({ ...nodes, capacity: 3, holder: 'w1', now: T0, jobId: 'j1' });
  await store.acquireLease({ ...nodes, capacity: 3, holder: 'w2', now: T0 + 10_000 });
  await store.acquireLease({ resource: 'pool:addresses', capacity: 5, holder: 'w3', now: T0, ttlMs: 5_000 });
  const reclaimed = await store.reclaimExpiredLeases(T0 + TTL);
  assert.deepEqual(reclaimed, [
    { resource: 'pool:addresses', slot: 0, holder: 'w3', jobId: null, acquiredAt: T0, expiresAt: T0 + 5_000 },
    { resource: 'provider:openstack', slot: 0, holder: 'w1', jobId: 'j1', acquiredAt: T0, expiresAt: T0 + TTL },
  ]);
  assert.deepEqual(
    (await store.listLeases()).map((l) => l.holder),
    ['w2'],
  );
  const events = await store.listEvents();
  assert.deepEqual(
    events.map((e) => [e.kind, e.jobId, (e.payload as { holder: string }).holder]),
    [
      ['lease.reclaimed', null, 'w3'],
      ['lease.reclaimed', 'j1', 'w1'],
    ],
  );
  assert.deepEqual(await store.reclaimExpiredLeases(T0 + TTL), []);
  assert.deepEqual(await store.renewLease({ resource: nodes.resource, slot: 0, holder: 'w1', now: T0 + TTL, ttlMs: TTL }), {
    ok: false,
    code: 'lost',
  });
});

forEachStore('shrinking capacity hands out no slot above it', async ({ store }) => {
  await store.acquireLease({ ...nodes, capacity: 3, holder: 'w1', now: T0 });
  await store.acquireLease({ ...nodes, capacity: 3, holder: 'w2', now: T0 });
  await store.releaseLease({ resource: nodes.resource, slot: 0, holder: 'w1' });
  assert.deepEqual(await store.acquireLease({ ...nodes, capacity: 1, holder: 'w3', now: T0 }), { ok: true, slot: 0, expiresAt: T0 + TTL });
  assert.deepEqual(await store.acquireLease({ ...nodes, capacity: 1, holder: 'w4', now: T0 }), { ok: false, code: 'full' });
});

forEachStore('refuses a capacity or ttl that is not a positive integer', async ({ store }) => {
  await assert.rejects(store.acquireLease({ ...nodes, capacity: 0, holder: 'w1', now: T0 }), RangeError);
  await assert.rejects(store.acquireLease({ ...nodes, ttlMs: 1.5, holder: 'w1', now: T0 }), RangeError);
});

forEachStore('separate stores racing for capacity 2 get exactly 2 slots', async (f) => {
  const stores = [f.store, await f.open(), await f.open()];
  for (let round = 0; round < 10; round += 1) {
    const now = T0 + round * 10 * TTL;
    const resource = `race:${round}`;
    const results = await Promise.all(
      stores.flatMap((s, i) => [0, 1].map((k) => s.acquireLease({ resource, capacity: 2, holder: `s${i}-${k}`, now, ttlMs: TTL }))),
    );
    const granted = results.filter((r) => r.ok);
    assert.equal(granted.length, 2, `round ${round}: ${JSON.stringify(results)}`);
    assert.deepEqual(granted.map((r) => r.ok && r.slot).sort(), [0, 1]);
    assert.equal((await f.store.listLeases(resource)).length, 2);
  }
});
