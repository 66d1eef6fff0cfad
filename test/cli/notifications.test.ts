import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { failedRun } from '../drivers/notify/finished-run.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite } from '../helpers/site.js';

const T0 = 1_700_000_000_000;

test('sluice notifications lists each delivery with its state and last answer; with a run, every attempt', async (t) => {
  const dir = tempDir(t);
  await makeSite(dir);
  mkdirSync(join(dir, '.sluice'), { recursive: true });
  const store = await openStore(`sqlite:${join(dir, '.sluice', 'sluice.db')}`);
  try {
    await failedRun(store, 'r1', T0);
    await store.enqueueNotifications({ runId: 'r1', now: T0, notifications: [
      { id: 'd1', rule: 'team', recipient: 'webhook:chat', channel: 'webhook', message: { kind: 'webhook', webhook: 'chat', body: '{}' }, maxAttempts: 3 },
      { id: 'd2', rule: 'release', recipient: 'email:rel@example.org', channel: 'email', message: { kind: 'email', to: 'rel@example.org', subject: 's', text: 't' }, maxAttempts: 1 },
    ] });
    for (const n of await store.claimDueNotifications({ worker: 'w', now: T0 + 1, leaseMs: 1000 })) {
      await store.recordNotificationAttempt({ id: n.id, worker: 'w', attempt: 1, startedAt: T0 + 1, now: T0 + 2, ok: false, detail: n.id === 'd1' ? 'webhook chat: HTTP 503' : 'smtp mx: 550 no such user', retryAt: n.id === 'd1' ? T0 + 30_000 : null });
    }
  } finally {
    await store.close();
  }
  const all = await runCli(['notifications'], { cwd: dir });
  assert.equal(all.status, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^RUN +RULE +RECIPIENT +STATE +ATTEMPTS +LAST ANSWER$/);
  assert.ok(lines.some((l) => /^r1 +team +webhook:chat +pending +1\/3 +webhook chat: HTTP 503$/.test(l)), all.stdout);
  assert.ok(lines.some((l) => /^r1 +release +email:rel@example\.org +failed +1\/1 +smtp mx: 550 no such user$/.test(l)), all.stdout);
  const failed = await runCli(['notifications', '--state', 'failed', '--json'], { cwd: dir });
  assert.deepEqual((JSON.parse(failed.stdout) as { id: string }[]).map((n) => n.id), ['d2']);
  const one = await runCli(['notifications', 'r1'], { cwd: dir });
  assert.match(one.stdout, /team → webhook:chat \(delivery d1\):\n {2}1\. 2023-11-14 22:13:20Z failed: webhook chat: HTTP 503\n {2}next attempt 2023-11-14 22:13:50Z/);
  const bad = await runCli(['notifications', '--state', 'lost'], { cwd: dir });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--state "lost" is not one of pending, delivered, failed/);
});
