import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../../src/engine/engine.js';
import { startHttpReceiver } from '../../helpers/http-receiver.js';
import { forEachStore } from '../../helpers/store-matrix.js';
import { notifyReporterFor, notifySection } from './site.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

forEachStore('a process killed between a verdict and its notification: the next one delivers each exactly once', async ({ store, url }, t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const child = spawn(process.execPath, [CHILD, url, receiver.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
  await until('the child to get its runs to the crash point', async () => out.includes('ready') || child.exitCode !== null);
  assert.ok(out.includes('ready'), `the child stopped early (${child.exitCode})`);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(receiver.posts.length, 0, 'nothing was sent before the crash');
  assert.deepEqual((await store.listUnreportedRuns()).map((r) => r.id).sort(), ['r-verdict-only', 'r-written-not-sent']);
  assert.deepEqual((await store.listNotifications()).map((n) => [n.runId, n.state]), [['r-written-not-sent', 'pending']]);

  const section = notifySection({ webhooks: { chat: { url: receiver.url, secret_env: 'SLUICE_HOOK_SECRET' } }, rules: [{ name: 'team', webhooks: ['chat'] }] });
  const restart = () => new Engine({ store, providers: [], reporters: [notifyReporterFor(section, store, { SLUICE_HOOK_SECRET: 'crash-secret' })], workerId: `restart:${Math.random()}`, pollMs: 50, sweepEveryMs: 600_000 });
  const engine = restart();
  engine.start();
  await until('both runs reported and both notifications delivered', async () => (await store.listUnreportedRuns()).length === 0
    && (await store.listNotifications()).filter((n) => n.state === 'delivered').length === 2);
  await engine.stop();
  // Another restart, and a repeated report pass, find nothing owed.
  const again = restart();
  again.start();
  await again.reportOwed();
  await again.drainOwed();
  await again.stop();

  const delivered = await store.listNotifications();
  assert.deepEqual(delivered.map((n) => [n.runId, n.state, n.attempts]).sort(), [['r-verdict-only', 'delivered', 1], ['r-written-not-sent', 'delivered', 1]]);
  assert.equal(receiver.posts.length, 2, 'one message per run, none twice');
  const byRun = new Map(receiver.posts.map((p) => [(JSON.parse(p.body) as { run: { id: string } }).run.id, p.headers['x-sluice-delivery']]));
  assert.deepEqual([...byRun.keys()].sort(), ['r-verdict-only', 'r-written-not-sent']);
  for (const n of delivered) assert.equal(byRun.get(n.runId), n.id, 'the delivery id the receiver saw is the stored one');
});
