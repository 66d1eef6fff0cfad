import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { updateText } from '../helpers/site.js';
import { namedToken, until, webEngine, webServer, webSite, type WebSiteFixture } from './fixture.js';

// Waivers and `recheck failed` over a real HTTP server, with a real engine running the jobs.

const ALICE = 'alice-packager-token-0123456789abcdef';
const RITA = 'rita-release-token-0123456789abcdef';
const TOKENS = [namedToken('alice', ['packager'], ALICE), namedToken('rita', ['release'], RITA)];

async function serving(t: TestContext): Promise<{ url: string; store: Store; f: WebSiteFixture }> {
  const f = await webSite(tempDir(t));
  const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  const engine = webEngine(f, store);
  engine.start();
  t.after(() => engine.stop());
  const { app } = await webServer(t, store, f, { auth: { tokens: TOKENS, publicReads: true }, engine });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, store, f };
}

const post = (url: string, token: string, body: unknown = {}) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });

async function failedRun(url: string, store: Store, update: string): Promise<string> {
  const r = await post(`${url}/api/runs`, ALICE, { file: `${update}.yml`, content: updateText('fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']) });
  assert.equal(r.status, 201, await r.clone().text());
  const { runId } = (await r.json()) as { runId: string };
  await until(async () => (await store.getRun(runId))?.reportedAt != null, 30_000, `run ${runId} reported`);
  assert.equal((await store.getRun(runId))?.verdict, 'fail');
  return runId;
}

describe('waivers over HTTP', () => {
  it('a release manager\'s waiver passes the run, which is merged and shows the waiver on its page; a packager may not waive', async (t) => {
    const { url, store, f } = await serving(t);
    const runId = await failedRun(url, store, 'abcd');
    const body = { target: 'kilo/fedora-22', reason: 'the <b>f22</b> mirror is broken', expires: '3d' };

    const refused = await post(`${url}/api/runs/${runId}/waivers`, ALICE, body);
    assert.equal(refused.status, 403);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    assert.deepEqual([error.code, error.message], ['E_ROLE_REQUIRED', 'waiving a failure needs the release role; token of alice has packager']);
    assert.deepEqual(await store.listWaivers(), [], 'nothing recorded');
    const notFailed = await post(`${url}/api/runs/${runId}/waivers`, RITA, { ...body, target: 'kilo/epel-7' });
    assert.equal(notFailed.status, 409);

    const waived = await post(`${url}/api/runs/${runId}/waivers`, RITA, body);
    assert.equal(waived.status, 201, await waived.clone().text());
    const answer = (await waived.json()) as { waiver: { id: string; by: string; standing: string; expiresAt: number; createdAt: number }; run: { verdict: string; changed: boolean } };
    assert.equal(answer.waiver.by, 'rita', 'the actor is the token\'s person');
    assert.equal(answer.waiver.expiresAt - answer.waiver.createdAt, 3 * 86_400_000);
    assert.deepEqual([answer.run.verdict, answer.run.changed, answer.waiver.standing], ['pass', true, 'active']);
    await until(async () => (await store.getRun(runId))?.reportedAt != null, 30_000, 'the new verdict reported');
    const merged = execFileSync('git', ['-C', f.site.repoPath, 'log', '-1', '--format=%B', '--', 'updates/abcd.yml'], { encoding: 'utf8' });
    assert.match(merged, new RegExp(`Sluice-Run: ${runId}`));

    const page = await (await fetch(`${url}/runs/${runId}`)).text();
    assert.ok(page.includes('the &lt;b&gt;f22&lt;/b&gt; mirror is broken'), 'the reason is escaped');
    assert.ok(!page.includes('<b>f22</b>'));
    assert.match(page, new RegExp(`<p class="waived" data-waiver="${answer.waiver.id}">failure waived by rita: the &lt;b&gt;f22`));
    assert.match(page, new RegExp(`<tr data-waiver="${answer.waiver.id}" data-standing="active">`));
    const listed = (await (await fetch(`${url}/api/waivers?update=abcd`)).json()) as { items: { id: string }[] };
    assert.deepEqual(listed.items.map((w) => w.id), [answer.waiver.id]);
    const actions = (await store.listEvents({ limit: 500 })).filter((e) => e.kind === 'web.action' && e.payload.action === 'waive');
    assert.equal(actions.length, 1);

    const revoked = await post(`${url}/api/waivers/${answer.waiver.id}/revoke`, RITA, { reason: 'mirror fixed' });
    assert.equal(revoked.status, 200);
    assert.equal(((await revoked.json()) as { standing: string }).standing, 'revoked');
  });

  it('recheck-failed reruns the failed target only and refuses an older run of the content', async (t) => {
    const { url, store } = await serving(t);
    const first = await failedRun(url, store, 'xyzw');
    const r = await post(`${url}/api/runs/${first}/recheck-failed`, ALICE);
    assert.equal(r.status, 201, await r.clone().text());
    const again = (await r.json()) as { runId: string; rerun: string[]; carried: string[] };
    assert.deepEqual([again.rerun, again.carried], [['kilo/fedora-22'], ['kilo/epel-7']]);
    await until(async () => (await store.getRun(again.runId))?.state === 'finished', 30_000, 'the recheck finished');
    const run = await store.getRun(again.runId);
    assert.equal(run?.verdict, 'fail');
    const page = await (await fetch(`${url}/runs/${again.runId}`)).text();
    assert.match(page, new RegExp(`not run again: passed in run <a href="/runs/${first}">${first}</a>`));
    const stale = await post(`${url}/api/runs/${first}/recheck-failed`, ALICE);
    assert.equal(stale.status, 409);
    assert.equal(((await stale.json()) as { error: { code: string } }).error.code, 'E_RECHECK_NOT_LATEST');
  });
});
