import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { browser, closeBrowser } from './browser.js';
import { namedToken, webServer, webSite } from './fixture.js';

after(closeBrowser);

const RITA = 'rita-release-token-0123456789abcdef';

describe('the dashboard\'s login in a browser', () => {
  it('logs in with a pasted token, disables a target with a button in that person\'s name, logs out; no CSP violation', async (t) => {
    const b = await browser(t);
    if (!b) return;
    const f = await webSite(tempDir(t));
    const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
    t.after(() => store.close());
    const { app } = await webServer(t, store, f, { auth: { tokens: [namedToken('rita', ['release'], RITA)], publicReads: true } });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const page = await b.newPage();
    t.after(() => page.close());
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(`${base}/`);
    assert.equal(await page.locator('[data-action]').count(), 0, 'no button before a login');
    await page.click('text=log in');
    await page.fill('input[name=token]', RITA);
    await page.click('button:has-text("log in")');
    await page.waitForURL(`${base}/`);
    assert.match(await page.locator('header .who').innerText(), /rita \(release\)/);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'sluice_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));

    await page.selectOption('form.disable select[name=target]', 'kilo/epel-7');
    await page.fill('form.disable input[name=reason]', 'mirror <b>down</b>');
    await page.click('[data-action=disable-target]');
    await page.waitForSelector('td[data-target="kilo/epel-7"][data-status="disabled"]');
    assert.match(await page.locator('td[data-target="kilo/epel-7"]').innerText(), /mirror <b>down<\/b>[\s\S]*by rita/);
    const state = await store.getTargetState('kilo/epel-7', Date.now());
    assert.ok(state.disabled && state.disabledBy === 'rita');

    await page.click('button:has-text("log out")');
    await page.waitForSelector('header .who a[href="/login"]');
    assert.equal(await page.locator('[data-action]').count(), 0, 'logged out: no button');
    assert.deepEqual(problems, [], 'no script error or CSP violation');
  });
});
