import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { cellState, CELL_STATES } from '../../src/web/cell-state.js';
import { escapeHtml, html, trusted } from '../../src/web/html.js';
import { tempDir } from '../helpers/paths.js';
import { submit, updateText } from '../helpers/site.js';
import { AUTH, until, webEngine, webServer, webSite } from './fixture.js';
import { claimAs } from '../helpers/claim.js';

const SCRIPT = '<script>alert(1)</script>';

/** No markup from the outside survives: every `<script` in a page is one of ours, with a src. */
function assertNoInjectedScript(page: string, what: string): void {
  for (const m of page.matchAll(/<script\b[^>]*>/gi)) assert.match(m[0], /^<script src="\/static\/[a-z]+\.js" defer>$/, `${what}: ${m[0]}`);
  assert.ok(!/<[a-z]+[^>]*\son[a-z]+=/i.test(page), `${what}: no inline event handler`);
  assert.ok(!page.includes('alert(1)</script>') && !page.includes("alert('log')</script>"), `${what}: a script of the input came through`);
}

describe('the html template', () => {
  it('escapes every interpolation, in text and in attributes, unless it is the template\'s own output', () => {
    const bad = `"><img src=x onerror=alert(1)>'\`&`;
    assert.equal(html`<a title="${bad}">${bad}</a>`.text, '<a title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&#96;&amp;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&#96;&amp;</a>');
    assert.equal(html`<p>${html`<b>${SCRIPT}</b>`}</p>`.text, '<p><b>&lt;script&gt;alert(1)&lt;/script&gt;</b></p>');
    assert.equal(html`${[SCRIPT, html`<i>x</i>`, null, undefined, false, 3]}`.text, '&lt;script&gt;alert(1)&lt;/script&gt;<i>x</i>3');
    assert.equal(html`${trusted('<hr>')}`.text, '<hr>');
    assert.equal(escapeHtml('a & b'), 'a &amp; b');
  });
});

describe('what a cell shows', () => {
  it('is never a failure before a result: queued, retrying, running and missing have their own states', () => {
    assert.equal(cellState(undefined), 'none');
    assert.equal(cellState({ state: 'queued', result: null, attempt: 0 }), 'queued');
    assert.equal(cellState({ state: 'queued', result: null, attempt: 1 }), 'retrying');
    assert.equal(cellState({ state: 'running', result: null, attempt: 1 }), 'running');
    assert.equal(cellState({ state: 'finished', result: 'failure', attempt: 1 }), 'failure');
    assert.equal(cellState({ state: 'finished', result: null, attempt: 1 }), 'none');
    assert.equal(new Set(CELL_STATES).size, CELL_STATES.length);
  });
});

describe('the pages', () => {
  it('show queued, running and missing results as such, never as failed, and turn red only on a failure', async (t) => {
    const f = await webSite(tempDir(t));
    const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
    t.after(() => store.close());
    const { app } = await webServer(t, store, f);
    const runId = await submit(f.site, store, 'abcd', 'sleep 30', ['kilo/epel-7', 'kilo/fedora-22']);
    // One job taken by a worker (running), the other still queued; liberty/epel-7 never had a job.
    const claimed = await claimAs(store, { worker: 'w', now: Date.now(), leaseMs: 60_000, kinds: ['phase1/image@local'] });
    assert.ok(claimed.ok, JSON.stringify(claimed));
    for (const url of ['/', `/runs/${runId}`, '/fragments/front', `/fragments/runs/${runId}`]) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.doesNotMatch(r.body, /st-failure|failed|FAIL/, `${url} shows no failure before there is one`);
      assert.match(r.body, /st-running/, url);
    }
    const front = (await app.inject({ url: '/' })).body;
    assert.match(front, /data-target="liberty\/epel-7" data-status="none"><span class="cell-state">– no result yet/);
    const runPage = (await app.inject({ url: `/runs/${runId}` })).body;
    assert.match(runPage, /data-status="queued"/);
    assert.match(runPage, /data-status="running"/);
    assert.doesNotMatch(runPage, /lost to a stopped worker/);
    // Its worker dies: the attempt is given back, and the page says why the count grew.
    await store.sweepExpiredJobs(Date.now() + 120_000);
    const again = await claimAs(store, { worker: 'w2', now: Date.now() + 200_000, leaseMs: 60_000, kinds: ['phase1/image@local'] });
    assert.ok(again.ok && again.job.id === claimed.job.id, JSON.stringify(again));
    assert.match((await app.inject({ url: `/runs/${runId}` })).body, /attempt 2\/4 \(1 lost to a stopped worker and given back\)/);
  });

  it('escape <script> in notes, ids, reasons and logs, and send a Content-Security-Policy', async (t) => {
    const f = await webSite(tempDir(t));
    const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
    t.after(() => store.close());
    const engine = webEngine(f, store);
    const { app } = await webServer(t, store, f, { engine });
    await app.inject({ method: 'POST', url: '/api/targets/liberty/epel-7/disable', headers: AUTH, payload: { reason: `mirror ${SCRIPT} broken`, by: SCRIPT } });
    const submitted = await app.inject({ method: 'POST', url: '/api/runs', headers: AUTH, payload: { file: 'xss1.yml', content: updateText(`"${SCRIPT} fail on kilo/fedora-22"`, ['kilo/epel-7', 'kilo/fedora-22']), author: { name: 'Ann "O\'Brien" & Sons', email: 'x@example.org' } } });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const { runId } = submitted.json() as { runId: string };
    engine.start();
    t.after(() => engine.stop());
    await until(async () => (await store.getRun(runId))?.state === 'finished', 30_000, 'the run');
    const failed = (await store.listJobs(runId)).find((j) => j.result === 'failure');
    assert.ok(failed);

    const pages: [string, string][] = [
      ['/', 'the disable reason'], [`/runs/${runId}`, 'the log excerpt'], ['/updates/xss1', 'the notes and author'],
      [`/jobs/${failed.id}/log`, 'the log viewer'], [`/runs/${encodeURIComponent(SCRIPT)}`, 'an id in the path'],
      [`/updates/${encodeURIComponent(SCRIPT)}`, 'an update id in the path'], [`/nowhere/${encodeURIComponent(SCRIPT)}`, 'an unknown path'],
    ];
    for (const [url, what] of pages) {
      const r = await app.inject({ url, headers: { accept: 'text/html' } });
      assert.match(String(r.headers['content-type']), /^text\/html/, `${what} is a page`);
      assert.match(String(r.headers['content-security-policy']), /script-src 'self'/, what);
      assertNoInjectedScript(r.body, what);
    }
    assert.match((await app.inject({ url: '/' })).body, /mirror &lt;script&gt;alert\(1\)&lt;\/script&gt; broken/);
    assert.match((await app.inject({ url: `/runs/${runId}` })).body, /openstack-nova-api &lt;script&gt;alert\(&#39;log&#39;\)&lt;\/script&gt; broken on kilo\/fedora-22/);
    // An author's name cannot hold < or > (git refuses them); quotes and & are escaped.
    assert.match((await app.inject({ url: '/updates/xss1' })).body, /Ann &quot;O&#39;Brien&quot; &amp; Sons/);
    assert.match((await app.inject({ url: '/updates/xss1' })).body, /<pre class="notes">&lt;script&gt;alert\(1\)&lt;\/script&gt; fail on kilo\/fedora-22<\/pre>/);
    const json = await app.inject({ url: `/api/runs/${encodeURIComponent(SCRIPT)}` });
    assert.equal(json.statusCode, 400);
    assert.match(String(json.headers['content-type']), /^application\/json/, 'an API error is JSON, never HTML');
  });

  it('put the failed job\'s error lines on the run page, each linking to its line in the log viewer', async (t) => {
    const f = await webSite(tempDir(t));
    const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
    t.after(() => store.close());
    const engine = webEngine(f, store);
    const { app } = await webServer(t, store, f, { engine });
    const runId = await submit(f.site, store, 'long', 'lines 5000 fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']);
    engine.start();
    t.after(() => engine.stop());
    await until(async () => (await store.getRun(runId))?.state === 'finished', 30_000, 'the run');
    const failed = (await store.listJobs(runId)).find((j) => j.result === 'failure');
    assert.ok(failed);
    const page = (await app.inject({ url: `/runs/${runId}` })).body;
    // Line 5001 is the yum error: after 5000 lines of install, before 30 of cleanup.
    const link = `/jobs/${encodeURIComponent(failed.id)}/log?line=5001#L5001`;
    assert.ok(page.includes(`<span class="hit"><a class="ln" href="${link}">5001</a>Error: Package: openstack-nova-api`), 'the error line, numbered, linked');
    assert.ok(page.indexOf('id="job-' + failed.id) < page.indexOf(`id="job-${runId}.kilo_epel-7"`), 'the failed job comes first');
    const passed = (await store.listJobs(runId)).find((j) => j.result === 'success');
    assert.ok(!page.slice(page.indexOf(`id="job-${passed?.id}"`)).includes('class="excerpt"'), 'no excerpt for a job that passed');

    const viewer = (await app.inject({ url: `/jobs/${encodeURIComponent(failed.id)}/log` })).body;
    assert.match(viewer, /<span id="L5001" class="line err target"><a class="ln" href="\?line=5001#L5001">5001<\/a>Error: Package/);
    assert.match(viewer, /data-total="5032"/);
    const shown = [...viewer.matchAll(/<span id="L(\d+)"/g)].map((m) => Number(m[1]));
    assert.ok(shown.length <= 500 && shown[0] === 4533 && shown.at(-1) === 5032, `a window around the error, not the whole log (${shown[0]}..${shown.at(-1)})`);
    const top = (await app.inject({ url: `/jobs/${encodeURIComponent(failed.id)}/log?line=1` })).body;
    assert.match(top, /<span id="L1" class="line target"><a class="ln" href="\?line=1#L1">1<\/a>---&gt; Package python-dep1\.noarch/);

    const lines = (await app.inject({ url: `/api/jobs/${encodeURIComponent(failed.id)}/log?from=4999&count=3` })).json() as { lines: string[]; totalLines: number; errors: { first: number; lines: number[] } };
    assert.deepEqual(lines.lines.map((l) => l.slice(0, 20)), ['---> Package python-', '---> Package python-', 'Error: Package: open']);
    assert.equal(lines.errors.first, 5001);
    assert.ok(lines.errors.lines.includes(5001));
    const raw = await app.inject({ url: `/jobs/${encodeURIComponent(failed.id)}/log.txt` });
    assert.equal(raw.body.split('\n').length, 5033);
    assert.match(String(raw.headers['content-type']), /^text\/plain/);
  });

  it('serve only the logs the store names, whatever the path asks', async (t) => {
    const f = await webSite(tempDir(t));
    const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
    t.after(() => store.close());
    const { app } = await webServer(t, store, f);
    mkdirSync(join(f.site.dir, 'secret'), { recursive: true });
    writeFileSync(join(f.site.dir, 'secret', 'job.log'), 'TOP SECRET\n');
    const runId = await submit(f.site, store, 'abcd', 'x', ['kilo/epel-7']);
    for (const url of [
      '/jobs/..%2F..%2F..%2Fetc%2Fpasswd/log', '/jobs/..%2Fsecret/log', `/jobs/${runId}.kilo_epel-7%2F..%2F..%2Fsecret/log.txt`,
      `/jobs/${runId}.kilo_epel-7/log?path=${encodeURIComponent(join(f.site.dir, 'secret', 'job.log'))}`,
      '/api/jobs/..%2F..%2Fetc%2Fpasswd/log', '/static/..%2F..%2F..%2Fpackage.json', '/static/%2E%2E/style.css', '/jobs/%2Fetc%2Fpasswd/log.txt',
    ]) {
      const r = await app.inject({ url });
      assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${url}: ${r.statusCode}`);
      assert.ok(!r.body.includes('TOP SECRET') && !r.body.includes('root:x:0'), url);
    }
    const queued = (await app.inject({ url: `/api/jobs/${runId}.kilo_epel-7/log` })).json() as { error: { code: string } };
    assert.equal(queued.error.code, 'E_NO_LOG', 'a queued job has no log yet');
  });
});
