import assert from 'node:assert/strict';
import type { NewNotification } from '../../src/store/index.js';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;

function note(id: string, rule: string, recipient: string, maxAttempts = 3): NewNotification {
  return { id, rule, recipient, channel: recipient.startsWith('email:') ? 'email' : 'webhook', message: { subject: `about ${id}` }, maxAttempts };
}

forEachStore('writes each (run, rule, recipient) once, however often the report is repeated', async ({ store }) => {
  const first = await store.enqueueNotifications({ runId: 'r1', now: T0, notifications: [note('n1', 'team', 'email:a@example.org'), note('n2', 'team', 'webhook:chat')] });
  assert.deepEqual(first, { written: 2 });
  // The report after a crash composes the same rows again, even under other ids: nothing is added.
  const again = await store.enqueueNotifications({ runId: 'r1', now: T0 + 5, notifications: [note('n1', 'team', 'email:a@example.org'), note('n9', 'team', 'webhook:chat'), note('n3', 'ops', 'webhook:chat')] });
  assert.deepEqual(again, { written: 1 }, 'only the new rule\'s row is written');
  const rows = await store.listNotifications({ runId: 'r1' });
  assert.deepEqual(rows.map((r) => [r.rule, r.recipient, r.id, r.state]).sort(), [
    ['ops', 'webhook:chat', 'n3', 'pending'], ['team', 'email:a@example.org', 'n1', 'pending'], ['team', 'webhook:chat', 'n2', 'pending'],
  ]);
  assert.deepEqual(rows.find((r) => r.id === 'n1')?.message, { subject: 'about n1' });
});

forEachStore('hands each due notification to one sender at a time, and again once its lease lapsed', async ({ store, open }) => {
  await store.enqueueNotifications({ runId: 'r1', now: T0, notifications: [note('n1', 'team', 'webhook:chat')] });
  const other = await open();
  const claims = await Promise.all([store.claimDueNotifications({ worker: 'a', now: T0 + 1, leaseMs: 1000 }), other.claimDueNotifications({ worker: 'b', now: T0 + 1, leaseMs: 1000 })]);
  assert.equal(claims.flat().length, 1, 'one claim between two senders');
  const [mine] = claims.flat();
  assert.equal(mine?.attempts, 1, 'the claim begins attempt 1');
  assert.deepEqual(await store.claimDueNotifications({ worker: 'c', now: T0 + 500, leaseMs: 1000 }), [], 'held while the lease lasts');
  // The holder died: after the lease, another sender takes it, as attempt 2.
  const retaken = await store.claimDueNotifications({ worker: 'c', now: T0 + 1002, leaseMs: 1000 });
  assert.deepEqual(retaken.map((n) => [n.id, n.attempts, n.lockedBy]), [['n1', 2, 'c']]);
  const late = await store.recordNotificationAttempt({ id: 'n1', worker: mine?.lockedBy ?? '', attempt: 1, startedAt: T0 + 1, now: T0 + 1003, ok: true, detail: 'HTTP 204', retryAt: null });
  assert.deepEqual(late, { ok: false, code: 'lost' }, 'the first sender\'s claim is fenced off');
});

forEachStore('records every attempt: a failure is due again at its retry time, a success ends it', async ({ store }) => {
  await store.enqueueNotifications({ runId: 'r1', now: T0, notifications: [note('n1', 'team', 'webhook:chat')] });
  const [c1] = await store.claimDueNotifications({ worker: 'w', now: T0, leaseMs: 1000 });
  assert.ok(c1);
  assert.deepEqual(await store.recordNotificationAttempt({ id: 'n1', worker: 'w', attempt: c1.attempts, startedAt: T0, now: T0 + 10, ok: false, detail: 'HTTP 503', retryAt: T0 + 2000 }), { ok: true, state: 'pending' });
  assert.equal(await store.nextNotificationDue(), T0 + 2000);
  assert.deepEqual(await store.claimDueNotifications({ worker: 'w', now: T0 + 1999, leaseMs: 1000 }), [], 'not due before its retry time');
  const [c2] = await store.claimDueNotifications({ worker: 'w', now: T0 + 2000, leaseMs: 1000 });
  assert.equal(c2?.attempts, 2);
  assert.deepEqual(await store.recordNotificationAttempt({ id: 'n1', worker: 'w', attempt: 2, startedAt: T0 + 2000, now: T0 + 2010, ok: true, detail: 'HTTP 204', retryAt: null }), { ok: true, state: 'delivered' });
  const [row] = await store.listNotifications({ runId: 'r1' });
  assert.equal(row?.state, 'delivered');
  assert.equal(row?.finishedAt, T0 + 2010);
  assert.equal(row?.lastError, 'HTTP 503');
  assert.deepEqual(row?.history.map((a) => [a.attempt, a.ok, a.detail, a.startedAt, a.endedAt]), [[1, false, 'HTTP 503', T0, T0 + 10], [2, true, 'HTTP 204', T0 + 2000, T0 + 2010]]);
  assert.equal(await store.nextNotificationDue(), undefined, 'nothing pending');
  assert.deepEqual(await store.claimDueNotifications({ worker: 'w', now: T0 + 99_999, leaseMs: 1000 }), [], 'a delivered one is never sent again');
});

forEachStore('gives up after the last attempt and keeps why', async ({ store }) => {
  await store.enqueueNotifications({ runId: 'r1', now: T0, notifications: [note('n1', 'team', 'email:a@example.org', 1)] });
  const [c] = await store.claimDueNotifications({ worker: 'w', now: T0, leaseMs: 1000 });
  assert.ok(c);
  assert.deepEqual(await store.recordNotificationAttempt({ id: 'n1', worker: 'w', attempt: 1, startedAt: T0, now: T0 + 1, ok: false, detail: '550 no such user', retryAt: null }), { ok: true, state: 'failed' });
  const [row] = await store.listNotifications({ state: 'failed' });
  assert.deepEqual([row?.id, row?.lastError, row?.attempts], ['n1', '550 no such user', 1]);
  // A claim that began the last attempt and died leaves nothing due: the attempts are used up.
  await store.enqueueNotifications({ runId: 'r2', now: T0, notifications: [note('n2', 'team', 'webhook:chat', 1)] });
  assert.equal((await store.claimDueNotifications({ worker: 'w', now: T0, leaseMs: 10 })).length, 1);
  assert.deepEqual(await store.claimDueNotifications({ worker: 'w', now: T0 + 100, leaseMs: 10 }), []);
  const [dead] = await store.listNotifications({ runId: 'r2' });
  assert.deepEqual([dead?.state, dead?.lastError], ['failed', 'the sender of its last attempt stopped before it recorded how it went'], 'not left pending forever');
});
