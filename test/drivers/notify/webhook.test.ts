import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine } from '../../../src/engine/engine.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { startHttpReceiver } from '../../helpers/http-receiver.js';
import { tempDir } from '../../helpers/paths.js';
import { ERROR_LINE, failedRun } from './finished-run.js';
import { notifyReporterFor, notifySection, WEB_URL } from './site.js';

const SECRET = 'hook-secret-3f9a';
const ENV = { SLUICE_HOOK_SECRET: SECRET };

/** What a receiver does with the signature header: HMAC the bytes it got, compare in constant time. */
function verifies(secret: string, body: string, header: string | string[] | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(typeof header === 'string' ? header : '');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

async function openTemp(t: { after: (fn: () => unknown) => void }): Promise<Store> {
  const store = await openStore(`sqlite:${join(tempDir(t, 'sluice-notify-hook-'), 'sluice.db')}`);
  t.after(() => store.close());
  return store;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('posts a signed JSON body with a delivery id; the signature verifies with the shared secret', async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const store = await openTemp(t);
  const section = notifySection({ webhooks: { chat: { url: receiver.url, secret_env: 'SLUICE_HOOK_SECRET' } }, rules: [{ name: 'team', webhooks: ['chat'] }] });
  const reporter = notifyReporterFor(section, store, ENV);
  const { run, jobs } = await failedRun(store, 'r-hook', 1_700_000_000_000);
  await reporter.report(run, jobs);
  await reporter.drain?.(new AbortController().signal);
  const [post] = await receiver.waitFor(1);
  assert.ok(post);
  assert.ok(verifies(SECRET, post.body, post.headers['x-sluice-signature']), 'the signature verifies with the secret');
  assert.equal(verifies('another-secret', post.body, post.headers['x-sluice-signature']), false, 'and with no other');
  assert.equal(post.headers['content-type'], 'application/json');
  assert.equal(post.headers['x-sluice-event'], 'run.finished');
  const body = JSON.parse(post.body) as { delivery: string; rule: string; run: { id: string; verdict: string; url: string; update: string }; failures: { target: string; lines: string[] }[]; text: string };
  const [row] = await store.listNotifications({ runId: 'r-hook' });
  assert.equal(post.headers['x-sluice-delivery'], row?.id);
  assert.equal(body.delivery, row?.id);
  assert.deepEqual([body.rule, body.run.id, body.run.verdict, body.run.update, body.run.url], ['team', 'r-hook', 'fail', 'nova', `${WEB_URL}runs/r-hook`]);
  assert.deepEqual(body.failures.map((f) => f.target), ['kilo/epel-7'], 'only the failed target');
  assert.ok(body.failures[0]?.lines.some((l) => l.includes(ERROR_LINE)), 'with its error lines');
  assert.ok(body.text.includes(ERROR_LINE));
  assert.deepEqual([row?.state, row?.history.map((a) => a.detail)], ['delivered', ['webhook chat: HTTP 204']]);
});

test('a receiver that fails twice gets the same delivery a third time, after growing waits, and it is recorded once delivered', async (t) => {
  const receiver = await startHttpReceiver((n) => (n <= 2 ? 503 : 204));
  t.after(() => receiver.close());
  const store = await openTemp(t);
  const section = notifySection({ webhooks: { chat: { url: receiver.url, secret_env: 'SLUICE_HOOK_SECRET' } }, backoff: '200ms', max_backoff: '1h', rules: [{ name: 'team', webhooks: ['chat'] }] });
  const reporter = notifyReporterFor(section, store, ENV);
  // The engine's own sweep is far off: the retries come from the wake-up it sets for the next due attempt.
  const engine = new Engine({ store, providers: [], reporters: [reporter], workerId: 'test:1', pollMs: 50, sweepEveryMs: 600_000 });
  const { run } = await failedRun(store, 'r-retry', Date.now());
  engine.start();
  t.after(() => engine.stop());
  await until('the third attempt to be recorded', async () => (await store.listNotifications({ runId: run.id }))[0]?.state === 'delivered');
  assert.equal(receiver.posts.length, 3, 'two failures, then one success, and nothing after it');
  assert.deepEqual(receiver.posts.map((p) => p.status), [503, 503, 204]);
  assert.equal(new Set(receiver.posts.map((p) => p.headers['x-sluice-delivery'])).size, 1, 'one delivery id on every attempt');
  assert.equal(new Set(receiver.posts.map((p) => p.body)).size, 1, 'the same bytes on every attempt');
  assert.ok(receiver.posts.every((p) => verifies(SECRET, p.body, p.headers['x-sluice-signature'])));
  const [row] = await store.listNotifications({ runId: run.id });
  assert.ok(row);
  assert.deepEqual(row.history.map((a) => [a.attempt, a.ok, a.detail]), [
    [1, false, 'webhook chat: HTTP 503 receiver unavailable'], [2, false, 'webhook chat: HTTP 503 receiver unavailable'], [3, true, 'webhook chat: HTTP 204'],
  ]);
  const [a1, a2, a3] = row.history;
  assert.ok(a1 && a2 && a3);
  assert.ok(a2.startedAt - a1.endedAt >= 200, `the second attempt waited the backoff (${a2.startedAt - a1.endedAt} ms)`);
  assert.ok(a3.startedAt - a2.endedAt >= 400, `the third waited twice as long (${a3.startedAt - a2.endedAt} ms)`);
  assert.notEqual((await store.getRun(run.id))?.reportedAt, null, 'the run was reported before its notification was delivered');
  await engine.drainOwed();
  assert.equal(receiver.posts.length, 3);
});

test('gives a delivery up at once when the receiver refuses it for good (HTTP 410), and after the last attempt otherwise', async (t) => {
  const gone = await startHttpReceiver(() => 410);
  const down = await startHttpReceiver(() => 500);
  t.after(() => Promise.all([gone.close(), down.close()]));
  const store = await openTemp(t);
  const section = notifySection({
    webhooks: { gone: { url: gone.url, secret_env: 'SLUICE_HOOK_SECRET' }, down: { url: down.url, secret_env: 'SLUICE_HOOK_SECRET' } },
    attempts: 2, backoff: '1ms', max_backoff: '1ms', rules: [{ name: 'team', webhooks: ['gone', 'down'] }],
  });
  const reporter = notifyReporterFor(section, store, ENV);
  const { run, jobs } = await failedRun(store, 'r-refused', 1_700_000_000_000);
  await reporter.report(run, jobs);
  await reporter.drain?.(new AbortController().signal);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await reporter.drain?.(new AbortController().signal);
  const rows = new Map((await store.listNotifications({ runId: run.id })).map((n) => [n.recipient, n]));
  assert.deepEqual([rows.get('webhook:gone')?.state, rows.get('webhook:gone')?.attempts, gone.posts.length], ['failed', 1, 1]);
  assert.deepEqual([rows.get('webhook:down')?.state, rows.get('webhook:down')?.attempts, down.posts.length], ['failed', 2, 2]);
  assert.equal(rows.get('webhook:down')?.lastError, 'webhook down: HTTP 500 receiver unavailable');
});

test('a secret that is not in the environment stops the reporter\'s setup, naming its key', () => {
  const section = notifySection({ webhooks: { chat: { url: 'https://chat.example.org/hook', secret_env: 'SLUICE_HOOK_SECRET' } }, rules: [{ name: 'team', webhooks: ['chat'] }] });
  assert.throws(() => notifyReporterFor(section, undefined as unknown as Store, {}), /notify\.webhooks\.chat\.secret_env: the environment variable SLUICE_HOOK_SECRET is not set/);
});
