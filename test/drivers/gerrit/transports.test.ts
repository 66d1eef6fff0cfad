import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { GerritSchema } from '../../../src/drivers/gerrit/config.js';
import { startGerritTrigger, GerritSetupError, type GerritTriggerHandle } from '../../../src/drivers/gerrit/start-trigger.js';
import { WEBHOOK_PATH } from '../../../src/drivers/gerrit/webhook.js';
import { submitPhase1 } from '../../../src/pipelines/phase1/submit.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { BOT, GerritStandin } from '../../helpers/gerrit-standin.js';
import { tempDir } from '../../helpers/paths.js';
import { makeSite, type Site } from '../../helpers/site.js';
import { requireSshd, startSshd } from '../../helpers/sshd.js';
import { update } from './fixture.js';

const TARGETS = ['kilo/epel-7', 'kilo/fedora-22'];

async function world(t: TestContext): Promise<{ site: Site; store: Store; gerrit: GerritStandin }> {
  const dir = tempDir(t, 'sluice-gerrit-');
  const site = await makeSite(dir);
  const store = await openStore(`sqlite:${join(dir, 'sluice.db')}`);
  t.after(() => store.close());
  const gerrit = await new GerritStandin().start();
  t.after(() => gerrit.stop());
  return { site, store, gerrit };
}

function start(t: TestContext, w: { site: Site; store: Store; gerrit: GerritStandin }, gerrit: Record<string, unknown>, env: Record<string, string> = {}): Promise<GerritTriggerHandle> {
  const config = GerritSchema.parse({ url: w.gerrit.url, project: w.gerrit.project, http: { user: BOT.username, password_env: 'GERRIT_PW' }, ...gerrit });
  return startGerritTrigger({
    store: w.store, gerrit: config, configDir: '/', env: { GERRIT_PW: w.gerrit.password, ...env },
    submit: (s) => submitPhase1({ store: w.store, config: w.site.config, configHash: 'test', file: s.file, bytes: s.bytes, author: s.author, now: Date.now(), runId: s.runId }),
    onPhase2: async () => ({ refused: 'not in this test' }), notify: () => undefined,
    backoff: { initialMs: 50, maxMs: 200 },
  }).then((h) => {
    t.after(() => h.stop());
    return h;
  });
}

async function runsOf(store: Store, id: string, n: number): Promise<number> {
  const until = Date.now() + 10_000;
  let runs = await store.listRuns({ updateId: id });
  while (runs.length < n && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 25));
    runs = await store.listRuns({ updateId: id });
  }
  return runs.length;
}

function upload(gerrit: GerritStandin, id: string): number {
  const u = update('fine', TARGETS);
  return gerrit.upload({ files: { [`updates/${id}.yml`]: { content: u.content } }, subject: `New ${id}`, topic: u.topic }).change;
}

test('over SSH stream-events: a change uploaded while the connection was lost is found by the catch-up after reconnecting; repeats start nothing', { timeout: 60_000 }, async (t) => {
  if (!requireSshd(t)) return;
  const w = await world(t);
  const sshd = await startSshd(t);
  const sent: unknown[] = [];
  w.gerrit.onEvent((e) => { sent.push(e); sshd.append(e); });
  const h = await start(t, w, { ssh: { host: sshd.host, port: sshd.port, user: sshd.user, key_file: sshd.keyFile, known_hosts_file: sshd.knownHostsFile } });
  await sshd.listening(1);
  upload(w.gerrit, 'aaaa');
  assert.equal(await runsOf(w.store, 'aaaa', 1), 1);
  await sshd.stop();
  upload(w.gerrit, 'bbbb');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await runsOf(w.store, 'bbbb', 0), 0, 'nobody heard of it yet');
  await sshd.start();
  await sshd.listening(1);
  assert.equal(await runsOf(w.store, 'bbbb', 1), 1);
  // The old events again, duplicated and out of order, as a confused stream might send them.
  for (const e of [...sent].reverse()) sshd.append(e);
  sshd.append('{"type":"patchset-created", not json');
  await new Promise((r) => setTimeout(r, 300));
  await h.idle();
  assert.equal(await runsOf(w.store, 'aaaa', 1), 1);
  assert.equal(await runsOf(w.store, 'bbbb', 1), 1);
});

test('over the webhook: the shared secret is checked, bad requests are refused, events are handled like the stream\'s', async (t) => {
  const w = await world(t);
  const h = await start(t, w, { webhook: { listen: '127.0.0.1:0', secret_env: 'HOOK_SECRET' } }, { HOOK_SECRET: 's3cret value' });
  assert.ok(h.webhook);
  const base = `http://127.0.0.1:${h.webhook.port}${WEBHOOK_PATH}`;
  const events: unknown[] = [];
  w.gerrit.onEvent((e) => events.push(e));
  upload(w.gerrit, 'cccc');
  const post = (url: string, body: string, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } }).then((r) => r.status);
  const event = JSON.stringify(events[0]);
  assert.equal(await post(base, event), 401);
  assert.equal(await post(`${base}?secret=wrong`, event), 401);
  assert.equal(await runsOf(w.store, 'cccc', 0), 0);
  assert.equal(await post(`${base}?secret=${encodeURIComponent('s3cret value')}`, '{not json'), 400);
  assert.equal(await post(`${base}?secret=${encodeURIComponent('s3cret value')}`, 'x'.repeat(2 * 1024 * 1024)), 413);
  assert.equal(await post(`http://127.0.0.1:${h.webhook.port}/other`, event), 404);
  assert.equal((await fetch(`${base}?secret=x`)).status, 405);
  assert.equal(await post(base, event, { 'x-sluice-secret': 's3cret value' }), 204);
  assert.equal(await post(`${base}?secret=${encodeURIComponent('s3cret value')}`, event), 204);
  await h.idle();
  assert.equal(await runsOf(w.store, 'cccc', 1), 1);
});

test('a missing password or secret variable stops the start with a message naming the key', async (t) => {
  const w = await world(t);
  const config = GerritSchema.parse({ url: w.gerrit.url, project: w.gerrit.project, http: { user: BOT.username, password_env: 'NOT_SET_PW' } });
  await assert.rejects(startGerritTrigger({ store: w.store, gerrit: config, configDir: '/', env: {}, submit: async () => ({ ok: true, runId: 'x' }), onPhase2: async () => ({ refused: '' }), notify: () => undefined }),
    (e: unknown) => e instanceof GerritSetupError && /gerrit.http.password_env names \$NOT_SET_PW, which is not set/.test(e.message));
  assert.throws(() => GerritSchema.parse({ url: w.gerrit.url, project: 'p', http: { user: 'u', password_env: 'hunter2 is my password' } }), /name of an environment variable/);
});
