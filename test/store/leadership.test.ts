import assert from 'node:assert/strict';
import { leaderStream, type Store } from '../../src/store/index.js';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;
const TTL = 10_000;
const role = 'service';

/** The role's term events, as (kind holder term [reason|previous]) lines. */
async function history(store: Store): Promise<string[]> {
  const events = await store.listEvents({ runId: leaderStream(role) });
  return events.map((e) => {
    if (e.kind === 'leader.elected') return `elected ${e.payload.holder} ${e.payload.term} after ${e.payload.previous ?? '-'}`;
    if (e.kind === 'leader.lost') return `lost ${e.payload.holder} ${e.payload.term} ${e.payload.reason}`;
    return `other ${e.kind}`;
  });
}

forEachStore('leadership: the first taker leads; another is told who holds it until when', async ({ store }) => {
  assert.equal(await store.getLeader(role), undefined);
  assert.deepEqual(await store.takeLeadership({ role, holder: 'a', now: T0, ttlMs: TTL }), { ok: true, term: 1, expiresAt: T0 + TTL });
  const refused = await store.takeLeadership({ role, holder: 'b', now: T0 + TTL - 1, ttlMs: TTL });
  assert.deepEqual(refused, { ok: false, code: 'held', leader: { role, holder: 'a', term: 1, acquiredAt: T0, expiresAt: T0 + TTL } });
  assert.deepEqual(await store.getLeader(role), { role, holder: 'a', term: 1, acquiredAt: T0, expiresAt: T0 + TTL });
  // Roles are apart.
  assert.equal((await store.takeLeadership({ role: 'other', holder: 'b', now: T0, ttlMs: TTL })).ok, true);
  assert.deepEqual(await history(store), ['elected a 1 after -']);
});

forEachStore('leadership: the holder renews its own current term only', async ({ store }) => {
  await store.takeLeadership({ role, holder: 'a', now: T0, ttlMs: TTL });
  assert.deepEqual(await store.renewLeadership({ role, holder: 'a', term: 1, now: T0 + 5_000, ttlMs: TTL }), { ok: true, expiresAt: T0 + 15_000 });
  // Renewed: past the first expiry, b still cannot take it.
  assert.equal((await store.takeLeadership({ role, holder: 'b', now: T0 + 12_000, ttlMs: TTL })).ok, false);
  assert.deepEqual(await store.renewLeadership({ role, holder: 'b', term: 1, now: T0 + 6_000, ttlMs: TTL }), { ok: false, code: 'lost' });
  assert.deepEqual(await store.renewLeadership({ role, holder: 'a', term: 2, now: T0 + 6_000, ttlMs: TTL }), { ok: false, code: 'lost' });
  assert.equal((await store.getLeader(role))?.expiresAt, T0 + 15_000, 'a refused renewal changes nothing');
  assert.deepEqual(await history(store), ['elected a 1 after -']);
});

forEachStore('leadership: an expired term cannot be renewed; its end is recorded once and the role is free', async ({ store }) => {
  await store.takeLeadership({ role, holder: 'a', now: T0, ttlMs: TTL });
  assert.deepEqual(await store.renewLeadership({ role, holder: 'a', term: 1, now: T0 + TTL, ttlMs: TTL }), { ok: false, code: 'lost' });
  assert.equal(await store.getLeader(role), undefined);
  assert.deepEqual(await store.renewLeadership({ role, holder: 'a', term: 1, now: T0 + TTL + 1, ttlMs: TTL }), { ok: false, code: 'lost' });
  assert.deepEqual(await store.takeLeadership({ role, holder: 'b', now: T0 + TTL + 2, ttlMs: TTL }), { ok: true, term: 2, expiresAt: T0 + 2 * TTL + 2 });
  assert.deepEqual(await history(store), ['elected a 1 after -', 'lost a 1 expired', 'elected b 2 after -']);
});

forEachStore('leadership: a successor takes over an expired lease, and the old holder cannot renew past it (fencing by term)', async ({ store }) => {
  await store.takeLeadership({ role, holder: 'a', now: T0, ttlMs: TTL });
  assert.deepEqual(await store.takeLeadership({ role, holder: 'b', now: T0 + TTL, ttlMs: TTL }), { ok: true, term: 2, expiresAt: T0 + 2 * TTL });
  // a wakes up from a pause and renews with its old term: refused, even at a time its own lease would still run.
  assert.deepEqual(await store.renewLeadership({ role, holder: 'a', term: 1, now: T0 + 1, ttlMs: TTL }), { ok: false, code: 'lost' });
  assert.deepEqual(await store.resignLeadership({ role, holder: 'a', term: 1, now: T0 + 2 }), { ok: false, code: 'lost' });
  assert.deepEqual(await store.takeLeadership({ role, holder: 'a', now: T0 + TTL + 1, ttlMs: TTL }), { ok: false, code: 'held', leader: { role, holder: 'b', term: 2, acquiredAt: T0 + TTL, expiresAt: T0 + 2 * TTL } });
  assert.equal((await store.renewLeadership({ role, holder: 'b', term: 2, now: T0 + TTL + 5, ttlMs: TTL })).ok, true);
  assert.deepEqual(await history(store), ['elected a 1 after -', 'lost a 1 expired', 'elected b 2 after a']);
});

forEachStore('leadership: a resigned role is free at once; a holder that lost track of its term takes a new one', async ({ store }) => {
  await store.takeLeadership({ role, holder: 'a', now: T0, ttlMs: TTL });
  assert.deepEqual(await store.resignLeadership({ role, holder: 'a', term: 1, now: T0 + 1 }), { ok: true });
  assert.deepEqual(await store.resignLeadership({ role, holder: 'a', term: 1, now: T0 + 1 }), { ok: false, code: 'lost' });
  assert.equal((await store.takeLeadership({ role, holder: 'b', now: T0 + 2, ttlMs: TTL })).ok, true);
  assert.deepEqual(await store.takeLeadership({ role, holder: 'b', now: T0 + 3, ttlMs: TTL }), { ok: true, term: 3, expiresAt: T0 + 3 + TTL });
  assert.deepEqual(await store.renewLeadership({ role, holder: 'b', term: 2, now: T0 + 4, ttlMs: TTL }), { ok: false, code: 'lost' });
  assert.deepEqual(await history(store), ['elected a 1 after -', 'lost a 1 resigned', 'elected b 2 after -', 'lost b 2 superseded', 'elected b 3 after b']);
});

forEachStore('leadership: of many takers racing on their own connections, exactly one leads', async ({ store, open }) => {
  const others = await Promise.all(Array.from({ length: 5 }, () => open()));
  try {
    const results = await Promise.all([store, ...others].map((s, i) => s.takeLeadership({ role, holder: `h${i}`, now: T0, ttlMs: TTL })));
    const won = results.filter((r) => r.ok);
    assert.equal(won.length, 1, JSON.stringify(results));
    const leader = await store.getLeader(role);
    for (const r of results) if (!r.ok && r.code === 'held') assert.equal(r.leader.holder, leader?.holder);
    assert.equal((await history(store)).length, 1);
  } finally {
    await Promise.all(others.map((s) => s.close()));
  }
});
