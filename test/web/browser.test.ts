import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { submit } from '../helpers/site.js';
import { browser, closeBrowser } from './browser.js';
import { until, webEngine, webServer, webSite, type WebSiteFixture } from './fixture.js';

after(closeBrowser);

/** What the page functions below use of the browser (this project compiles without the DOM's types). */
interface BrowserGlobals { getComputedStyle(el: unknown): { backgroundColor: string }; marker?: string }

interface Live { f: WebSiteFixture; store: Store; base: string; start(): void }

/** A real site, store, engine (not started) and server listening on a free port. */
async function live(t: TestContext): Promise<Live> {
  const f = await webSite(tempDir(t));
  const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  const engine = webEngine(f, store);
  const { app } = await webServer(t, store, f, { engine });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  let started = false;
  t.after(async () => { if (started) await engine.stop(); });
  return { f, store, base, start: () => { started = true; engine.start(); } };
}

const pageProblems = new Map<TestContext, string[][]>();

function assertNoPageProblems(t: TestContext): void {
  assert.deepEqual((pageProblems.get(t) ?? []).flat(), [], 'no script error, CSP violation or dialog');
}

/** A page that fails the test on a script error, a CSP violation or an alert (an injected script ran): see assertNoPageProblems. */
async function openPage(t: TestContext, url: string): Promise<Page | undefined> {
  const b = await browser(t);
  if (!b) return undefined;
  const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
  t.after(() => page.close());
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  // Checked at the test's end, before the server closes (which cuts the live pages' streams).
  pageProblems.set(t, [...(pageProblems.get(t) ?? []), problems]);
  await page.goto(url);
  return page;
}

const finished = (store: Store, runId: string) => until(async () => (await store.getRun(runId))?.state === 'finished', 30_000, `run ${runId}`);

describe('the dashboard in a browser', () => {
  it('renders the release x dist matrix: green, red, disabled with its reason and expiry, no result', async (t) => {
    const l = await live(t);
    await l.store.disableTarget({ target: 'liberty/epel-7', reason: 'EPEL mirror <b>broken</b>', by: 'ops', now: Date.now(), until: Date.now() + 86_400_000 });
    const runId = await submit(l.f.site, l.store, 'abcd', 'fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']);
    l.start();
    await finished(l.store, runId);
    const page = await openPage(t, `${l.base}/`);
    if (!page) return;
    const cell = (target: string) => page.locator(`td[data-target="${target}"]`);
    assert.equal(await cell('kilo/epel-7').getAttribute('data-status'), 'success');
    assert.equal(await cell('kilo/fedora-22').getAttribute('data-status'), 'failure');
    assert.match(await cell('kilo/fedora-22').innerText(), /failed/);
    assert.equal(await cell('liberty/epel-7').getAttribute('data-status'), 'disabled');
    assert.match(await cell('liberty/epel-7').innerText(), /EPEL mirror <b>broken<\/b>\s+until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(23h 59m\) · by ops/);
    const colour = (target: string) => cell(target).evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor);
    const [green, red] = [await colour('kilo/epel-7'), await colour('kilo/fedora-22')];
    assert.notEqual(green, red, 'the stylesheet gives pass and fail their colours');
    assert.equal(red, 'rgb(253, 232, 230)');
    assert.equal(await page.locator('table.matrix thead th').allInnerTexts().then((ths) => ths.join('|')), '|epel-7|fedora-22');
    assertNoPageProblems(t);
  });

  it('turns a live run\'s cells from queued to running to passed without a reload', async (t) => {
    const l = await live(t);
    const runId = await submit(l.f.site, l.store, 'abcd', 'sleep 1.5', ['kilo/epel-7']);
    const page = await openPage(t, `${l.base}/runs/${runId}`);
    if (!page) return;
    const front = await openPage(t, `${l.base}/`);
    if (!front) return;
    for (const p of [page, front]) await p.waitForSelector('body[data-live="open"]');
    await page.evaluate(() => { (globalThis as unknown as BrowserGlobals).marker = 'same page'; });
    const cell = `td.cell[data-job="${runId}.kilo_epel-7"]`;
    assert.equal(await page.getAttribute(cell, 'data-status'), 'queued');
    l.start();
    await page.waitForSelector(`${cell}[data-status="running"]`, { timeout: 15_000 });
    await front.waitForSelector('td[data-target="kilo/epel-7"][data-status="running"]', { timeout: 15_000 });
    assert.match(await page.locator(cell).evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor), /^rgb/);
    await page.waitForSelector(`${cell}[data-status="success"]`, { timeout: 20_000 });
    await front.waitForSelector('td[data-target="kilo/epel-7"][data-status="success"]', { timeout: 20_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).marker), 'same page', 'the page was never reloaded');
    assert.match(await page.locator('h1 .badge').innerText(), /PASS/);
    assertNoPageProblems(t);
  });

  it('shows the failed job\'s error excerpt on the run page, with no click', async (t) => {
    const l = await live(t);
    const runId = await submit(l.f.site, l.store, 'abcd', 'lines 2000 fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']);
    l.start();
    await finished(l.store, runId);
    const page = await openPage(t, `${l.base}/runs/${runId}`);
    if (!page) return;
    const excerpt = page.locator(`article[data-job="${runId}.kilo_fedora-22"] .excerpt`);
    assert.ok(await excerpt.isVisible());
    assert.ok(await excerpt.locator('.hit', { hasText: 'Error: Package: openstack-nova-api <script>alert(\'log\')</script> broken on kilo/fedora-22' }).isVisible());
    const box = await excerpt.boundingBox();
    assert.ok(box && box.y < 900, 'the error is on the first screen');
    assertNoPageProblems(t);
  });

  it('shows a bidirectional control in a log line the viewer reads by range as its code point', async (t) => {
    const l = await live(t);
    const runId = await submit(l.f.site, l.store, 'bidi', 'lines 2000 fail on kilo/fedora-22', ['kilo/fedora-22']);
    l.start();
    await finished(l.store, runId);
    const job = (await l.store.listJobs(runId))[0];
    assert.ok(job?.logPath);
    // Line 5, far from the error the page opens at: the viewer fetches it as JSON and adds it itself.
    const lines = readFileSync(job.logPath, 'utf8').split('\n');
    lines[4] = 'Package \u202egnissim si tnemevorpmi';
    writeFileSync(job.logPath, lines.join('\n'));
    const page = await openPage(t, `${l.base}/jobs/${job.id}/log`);
    if (!page) return;
    await page.locator('#L2001.target').waitFor();
    assert.equal(await page.locator('#L5').count(), 0, 'line 5 is not in the window the server rendered');
    const linked = await openPage(t, `${l.base}/jobs/${job.id}/log#L5`);
    if (!linked) return;
    await linked.locator('#L5.target').waitFor();
    const text = await linked.locator('#L5').innerText();
    assert.match(text, /Package \[U\+202E\]gnissim si tnemevorpmi/);
    assert.ok(!text.includes('\u202e'));
    assertNoPageProblems(t);
  });

  it('opens the log viewer at the error, highlighted, and moves to a linked line by range reads', async (t) => {
    const l = await live(t);
    const runId = await submit(l.f.site, l.store, 'abcd', 'lines 20000 fail on kilo/fedora-22', ['kilo/fedora-22']);
    l.start();
    await finished(l.store, runId);
    const run = await openPage(t, `${l.base}/runs/${runId}`);
    if (!run) return;
    await run.click('a.full-log');
    const line = run.locator('#L20001');
    await line.waitFor();
    assert.match((await line.getAttribute('class')) ?? '', /\berr\b.*\btarget\b/);
    assert.ok(await line.isVisible());
    const box = await line.boundingBox();
    assert.ok(box && box.y > 0 && box.y < 900, `the error line is on screen (y=${box?.y})`);
    assert.equal(await line.evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor), 'rgb(253, 232, 230)');
    assert.ok(await run.locator('#lines .line').count() <= 500, 'only a window of the 20032 lines is loaded');

    await run.click('#to-top');
    await run.locator('#L1.target').waitFor();
    assert.ok(await run.locator('#L1').isVisible());
    await run.click('#to-error');
    await run.locator('#L20001.target').waitFor();
    const linked = await openPage(t, `${l.base}/jobs/${runId}.kilo_fedora-22/log#L12345`);
    if (!linked) return;
    await linked.locator('#L12345.target').waitFor();
    assert.match(await linked.locator('#L12345').innerText(), /python-dep12345\.noarch/);
    assertNoPageProblems(t);
  });
});
