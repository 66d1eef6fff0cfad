import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, updateText } from '../helpers/site.js';

test('sluice submit of an update that fails tells the notify rule\'s webhook before it returns, with the error line and the run\'s link', async (t) => {
  const receiver = await startHttpReceiver();
  t.after(() => receiver.close());
  const dir = tempDir(t);
  await makeSite(dir);
  appendFileSync(join(dir, 'sluice.yaml'), `notify:
  web_url: https://sluice.example.org/
  webhooks:
    chat: { url: "${receiver.url}", secret_env: SLUICE_HOOK_SECRET }
  rules:
    - { name: kilo-el7, pipelines: [phase1], targets: [kilo/epel-7], webhooks: [chat] }
    - { name: liberty, targets: [liberty/epel-7], webhooks: [chat] }
`);
  writeFileSync(join(dir, 'nova.yml'), updateText('fail on kilo/epel-7', ['kilo/epel-7', 'kilo/fedora-22']));
  const missing = await runCli(['submit', 'nova.yml'], { cwd: dir });
  assert.equal(missing.status, 2, 'a secret missing from the environment stops the command before it writes anything');
  assert.match(missing.stderr, /notify\.webhooks\.chat\.secret_env: the environment variable SLUICE_HOOK_SECRET is not set/);

  const r = await runCli(['submit', 'nova.yml'], { cwd: dir, env: { SLUICE_HOOK_SECRET: 'cli-secret' } });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(receiver.posts.length, 1, 'told once, by the rule of the failed target only');
  const body = JSON.parse(receiver.posts[0]?.body ?? '{}') as { rule: string; run: { id: string; url: string }; failures: { target: string; lines: string[] }[] };
  assert.equal(body.rule, 'kilo-el7');
  assert.equal(body.run.url, `https://sluice.example.org/runs/${body.run.id}`);
  assert.deepEqual(body.failures.map((f) => f.target), ['kilo/epel-7']);
  assert.ok(body.failures[0]?.lines.some((l) => l.includes('Error: Package: broken on kilo/epel-7')), JSON.stringify(body.failures));
  const store = await openStore(`sqlite:${join(dir, '.sluice', 'sluice.db')}`);
  t.after(() => store.close());
  assert.deepEqual((await store.listNotifications()).map((n) => [n.runId, n.state]), [[body.run.id, 'delivered']]);
});
