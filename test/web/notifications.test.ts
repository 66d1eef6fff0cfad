import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { failedRun } from '../drivers/notify/finished-run.js';
import { tempDir } from '../helpers/paths.js';
import { webServer, webSite } from './fixture.js';

const T0 = 1_700_000_000_000;

test('a run\'s page and GET /api/runs/{id}/notifications show each delivery and its attempts, addresses cut to their domain', async (t) => {
  const f = await webSite(tempDir(t));
  const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  const { run } = await failedRun(store, 'r-told', T0);
  await store.enqueueNotifications({ runId: run.id, now: T0 + 10, notifications: [
    { id: 'd-hook', rule: 'team', recipient: 'webhook:chat', channel: 'webhook', message: { kind: 'webhook', webhook: 'chat', body: '{}' }, maxAttempts: 8 },
    { id: 'd-mail', rule: 'team', recipient: 'email:alice@example.org', channel: 'email', message: { kind: 'email', to: 'alice@example.org', subject: 's', text: 't' }, maxAttempts: 8 },
  ] });
  for (const n of await store.claimDueNotifications({ worker: 'host:1', now: T0 + 20, leaseMs: 1000 })) {
    const hook = n.id === 'd-hook';
    await store.recordNotificationAttempt({
      id: n.id, worker: 'host:1', attempt: n.attempts, startedAt: T0 + 20, now: T0 + 30, ok: hook,
      detail: hook ? 'webhook chat: HTTP 204' : 'smtp mail.example.org: 450 <alice@example.org> mailbox busy <script>x</script>', retryAt: hook ? null : T0 + 60_000,
    });
  }
  const { app } = await webServer(t, store, f);
  const api = await app.inject({ url: '/api/runs/r-told/notifications' });
  assert.equal(api.statusCode, 200, api.body);
  const items = (api.json() as { items: { id: string; recipient: string; state: string; nextAttemptAt: number | null; history: { ok: boolean; detail: string; worker: string }[] }[] }).items;
  const byId = new Map(items.map((n) => [n.id, n]));
  assert.deepEqual([byId.get('d-hook')?.state, byId.get('d-hook')?.history.map((a) => [a.ok, a.detail])], ['delivered', [[true, 'webhook chat: HTTP 204']]]);
  assert.equal(byId.get('d-mail')?.recipient, 'email:…@example.org');
  assert.equal(byId.get('d-mail')?.state, 'pending');
  assert.equal(byId.get('d-mail')?.nextAttemptAt, T0 + 60_000);
  assert.ok(!api.body.includes('alice'), 'no address of a person on a public API');
  assert.ok(!api.body.includes('host:1'), 'nor a worker\'s host');
  assert.equal((await app.inject({ url: '/api/runs/no-such-run/notifications' })).statusCode, 404);

  const page = await app.inject({ url: '/runs/r-told' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<h2>Notifications<\/h2>/);
  assert.match(page.body, /data-notification="d-hook" data-state="delivered"/);
  assert.match(page.body, /data-notification="d-mail" data-state="pending"/);
  assert.ok(page.body.includes('webhook chat: HTTP 204'));
  assert.ok(page.body.includes('&lt;script&gt;x&lt;/script&gt;') && !page.body.includes('<script>x</script>'), 'a receiver\'s answer is escaped');
  assert.ok(!page.body.includes('alice'));
  const quiet = await failedRun(store, 'r-quiet', T0);
  assert.doesNotMatch((await app.inject({ url: `/runs/${quiet.run.id}` })).body, /Notifications/, 'no section for a run nobody was told of');
});
