import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { loadConfig } from '../../src/cli/config-loader.js';
import { triggerPipeline } from '../../src/cli/pipeline-triggers.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { AuthPolicy } from '../../src/web/auth.js';
import { SESSION_COOKIE } from '../../src/web/session.js';
import { tempDir } from '../helpers/paths.js';
import { updateText } from '../helpers/site.js';
import { namedToken, webServer, webSite, type WebSiteFixture } from './fixture.js';

// Identity and roles over a real HTTP server: named tokens, the role each action needs,
// the actor taken from the token, dashboard sessions with CSRF-checked forms, and a
// single sign-on proxy's header believed only from the proxy's address.

const ALICE = 'alice-packager-token-0123456789abcdef';
const RITA = 'rita-release-token-0123456789abcdef';
const ROOT = 'root-admin-token-0123456789abcdef';
const TOKENS = [namedToken('alice', ['packager'], ALICE), namedToken('rita', ['release'], RITA), namedToken('root', ['admin'], ROOT)];

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One request over TCP; `from` binds the client's end to a loopback address (127.0.0.2 is "another host" to the server). */
function call(url: string, o: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method ?? 'GET', headers: o.headers ?? {}, ...(o.from ? { localAddress: o.from } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
const json = (url: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, body: JSON.stringify(body) });
const form = (url: string, cookie: string, fields: Record<string, string>) =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, accept: 'text/html' }, body: new URLSearchParams(fields).toString() });
const code = (a: Answer) => {
  const { error } = JSON.parse(a.body) as { error: { code: string; message: string } };
  return { code: error.code, message: error.message };
};

async function serving(t: TestContext, auth: Partial<AuthPolicy> = {}): Promise<{ url: string; store: Store; f: WebSiteFixture }> {
  const f = await webSite(tempDir(t));
  const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  const loaded = loadConfig({ cwd: f.site.dir, env: {}, stdoutIsTTY: false, out: () => {}, err: () => {}, readStdin: () => new Uint8Array(), now: () => Date.now() }, undefined);
  const { app } = await webServer(t, store, f, { auth: { tokens: TOKENS, publicReads: true, ...auth }, trigger: (pipeline, now) => triggerPipeline(loaded, store, pipeline, now) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, store, f };
}

async function eventsOf(store: Store, kind: string) {
  return (await store.listEvents({ limit: 500 })).filter((e) => e.kind === kind);
}

describe('roles', () => {
  it('refuse with 403 E_ROLE_REQUIRED naming the role needed and the roles held; each role does what it is for', async (t) => {
    const { url, store } = await serving(t);
    const promote = await json(`${url}/api/pipelines/promote/start`, ALICE, {});
    assert.equal(promote.status, 403);
    assert.deepEqual(code(promote), { code: 'E_ROLE_REQUIRED', message: 'promote needs the release role; token of alice has packager' });
    const disable = await json(`${url}/api/targets/kilo/epel-7/disable`, ALICE, { reason: 'mirror down' });
    assert.equal(code(disable).code, 'E_ROLE_REQUIRED');
    assert.match(code(disable).message, /disabling a target needs the release role; token of alice has packager/);
    assert.equal((await store.getTargetState('kilo/epel-7', Date.now())).disabled, false, 'nothing done');
    const reload = await json(`${url}/api/admin/reload`, RITA, {});
    assert.deepEqual(code(reload), { code: 'E_ROLE_REQUIRED', message: 'reloading the configuration needs the admin role; token of rita has release' });
    const submitByRelease = await json(`${url}/api/runs`, RITA, { file: 'abcd.yml', content: updateText('a new build', ['kilo/epel-7']) });
    assert.match(code(submitByRelease).message, /submitting an update needs the packager role; token of rita has release/);

    // Past the role check, each meets the action's own answer (an empty updates/ has nothing to promote).
    assert.equal(code(await json(`${url}/api/pipelines/promote/start`, RITA, {})).code, 'E_NOTHING_TO_DO');
    assert.equal(code(await json(`${url}/api/pipelines/phase2/start`, ROOT, {})).code, 'E_NOTHING_TO_DO', 'admin may do everything');
    const submitted = await json(`${url}/api/runs`, ALICE, { file: 'abcd.yml', content: updateText('a new build', ['kilo/epel-7']) });
    assert.equal(submitted.status, 201, submitted.body);
    const { runId } = JSON.parse(submitted.body) as { runId: string };
    // A phase1 run's recheck is the packager's; nothing about it needs release.
    assert.equal((await json(`${url}/api/runs/${runId}/cancel`, ALICE, {})).status, 200);
    assert.equal((await json(`${url}/api/runs/${runId}/recheck`, ALICE, {})).status, 201);
    assert.deepEqual((await eventsOf(store, 'web.action')).map((e) => e.kind === 'web.action' && [e.payload.action, e.payload.by]), [['submit', 'alice'], ['cancel', 'alice'], ['recheck', 'alice']]);
  });
});

describe('the actor', () => {
  it('is the token\'s person even when the body names someone else', async (t) => {
    const { url, store } = await serving(t);
    const r = await json(`${url}/api/targets/kilo/epel-7/disable`, RITA, { reason: 'mirror down', by: 'mallory' });
    assert.equal(r.status, 200, r.body);
    const state = await store.getTargetState('kilo/epel-7', Date.now());
    assert.ok(state.disabled);
    assert.equal(state.disabledBy, 'rita');
    assert.equal((await json(`${url}/api/targets/kilo/epel-7/enable`, RITA, { by: 'mallory' })).status, 200);
    const events = await store.listEvents({ limit: 100 });
    const said = events.flatMap((e) => (e.kind === 'target.disabled' || e.kind === 'target.enabled' || e.kind === 'web.action' ? [`${e.kind} ${e.payload.by}`] : []));
    assert.deepEqual(said, ['target.disabled rita', 'web.action rita', 'target.enabled rita', 'web.action rita']);
    assert.ok(!JSON.stringify(events).includes('mallory'), 'the body\'s name is recorded nowhere');

    // The must-provision list: the release role's, in the person's name.
    assert.equal(code(await json(`${url}/api/must-provision/glibc`, ALICE, { reason: 'provisioning changed' })).code, 'E_ROLE_REQUIRED');
    const added = await json(`${url}/api/must-provision/glibc`, RITA, { reason: 'provisioning changed' });
    assert.equal(added.status, 200, added.body);
    assert.deepEqual((await store.listMustProvision()).map((e) => [e.package, e.addedBy]), [['glibc', 'rita']]);
    assert.equal((await json(`${url}/api/must-provision/glibc/remove`, ROOT, { reason: 'done' })).status, 200);
    assert.deepEqual(await store.listMustProvision(), []);
    assert.equal(code(await json(`${url}/api/must-provision/glibc/remove`, ROOT, { reason: 'again' })).code, 'E_NOT_FOUND');
  });
});

/** Logs in through the form as a browser would: the login page's nonce and cookie, then the token. */
async function login(url: string, token: string): Promise<{ cookie: string; setCookie: string }> {
  const page = await call(`${url}/login`, { headers: { accept: 'text/html' } });
  const nonce = /name="login" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const loginCookie = String(page.headers['set-cookie']).split(';')[0] ?? '';
  const r = await form(`${url}/login`, loginCookie, { login: nonce, token, next: '/' });
  assert.equal(r.status, 303, r.body);
  const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
  return { cookie: set.split(';')[0] ?? '', setCookie: set };
}
const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

describe('the dashboard login', () => {
  it('sets an HttpOnly SameSite=Strict session cookie (not the token), shows the buttons the roles allow, and refuses a form without or with a wrong CSRF token', async (t) => {
    const { url, store } = await serving(t);
    const front = await call(`${url}/`);
    assert.match(front.body, /<a href="\/login">log in<\/a>/);
    assert.doesNotMatch(front.body, /<form/, 'nobody logged in: no button');

    // A login form posted without the login page's nonce (another site's page) is refused.
    const forged = await form(`${url}/login`, '', { login: 'x', token: RITA });
    assert.equal(forged.status, 403);
    const wrong = await call(`${url}/login`);
    const nonce = /name="login" value="([^"]+)"/.exec(wrong.body)?.[1] ?? '';
    const bad = await form(`${url}/login`, String(wrong.headers['set-cookie']).split(';')[0] ?? '', { login: nonce, token: 'not-a-token' });
    assert.equal(bad.status, 401);
    assert.match(bad.body, /That token is not one this server knows/);

    const rita = await login(url, RITA);
    assert.match(rita.setCookie, /; HttpOnly/);
    assert.match(rita.setCookie, /; SameSite=Strict/);
    assert.ok(!rita.setCookie.includes(RITA), 'the cookie holds a signed session, not the token');
    const page = await call(`${url}/`, { headers: { cookie: rita.cookie } });
    assert.match(page.body, /rita <span class="muted">\(release\)<\/span>/);
    assert.match(page.body, /data-action="start-phase2"/);
    assert.match(page.body, /data-action="disable-target"/);
    const csrf = csrfOf(page.body);
    assert.ok(csrf.length > 20);

    const disable = (fields: Record<string, string>) => form(`${url}/actions/targets/disable`, rita.cookie, { target: 'kilo/epel-7', reason: 'mirror <down>', ...fields });
    const without = await disable({});
    assert.equal(without.status, 403);
    assert.match(without.body, /E_CSRF/);
    assert.equal((await disable({ csrf: `${csrf.slice(0, -2)}AA` })).status, 403);
    const alice = await login(url, ALICE);
    const aliceCsrf = csrfOf((await call(`${url}/`, { headers: { cookie: alice.cookie } })).body);
    assert.ok(aliceCsrf.length > 20, 'a packager\'s page has a form too (log out)');
    assert.equal((await disable({ csrf: aliceCsrf })).status, 403, 'another session\'s token is not this one\'s');
    assert.equal((await store.getTargetState('kilo/epel-7', Date.now())).disabled, false, 'no refused form did anything');

    const ok = await disable({ csrf, until: '2h' });
    assert.equal(ok.status, 303, ok.body);
    assert.equal(ok.headers.location, '/');
    const state = await store.getTargetState('kilo/epel-7', Date.now());
    assert.ok(state.disabled && state.disabledBy === 'rita' && state.reason === 'mirror <down>');
    const after = await call(`${url}/`, { headers: { cookie: rita.cookie } });
    assert.match(after.body, /mirror &lt;down&gt;/, 'escaped');
    assert.match(after.body, /data-action="enable-target" data-target="kilo\/epel-7"/);

    // A packager's session sees no release button, and a release action by form is refused by role.
    const alicePage = await call(`${url}/`, { headers: { cookie: alice.cookie } });
    assert.doesNotMatch(alicePage.body, /data-action="(start-phase2|disable-target|enable-target)"/);
    const refused = await form(`${url}/actions/targets/kilo/epel-7/enable`, alice.cookie, { csrf: csrfOf(alicePage.body) });
    assert.equal(refused.status, 403, refused.body);
    assert.match(refused.body, /enabling a target needs the release role; token of alice has packager/);

    // The API never acts on a cookie; a tampered cookie is nobody; logging out ends the session.
    assert.equal(code(await json(`${url}/api/targets/kilo/epel-7/enable`, undefined, {}, { cookie: rita.cookie })).code, 'E_TOKEN_MISSING');
    const tampered = rita.cookie.replace(/.(?=\.)/, (c) => (c === 'A' ? 'B' : 'A'));
    assert.doesNotMatch((await call(`${url}/`, { headers: { cookie: tampered } })).body, /rita <span class="muted">/);
    const out = await form(`${url}/logout`, rita.cookie, { csrf });
    assert.equal(out.status, 303);
    assert.match(String(out.headers['set-cookie']), new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
  });

  it('rechecks a run and starts a pipeline from the dashboard in the session\'s person\'s name', async (t) => {
    const { url, store } = await serving(t);
    const submitted = await json(`${url}/api/runs`, ALICE, { file: 'abcd.yml', content: updateText('a new build', ['kilo/epel-7']) });
    assert.equal(submitted.status, 201, submitted.body);
    const { runId } = JSON.parse(submitted.body) as { runId: string };
    await json(`${url}/api/runs/${runId}/cancel`, ALICE, {});
    const alice = await login(url, ALICE);
    const page = await call(`${url}/runs/${runId}`, { headers: { cookie: alice.cookie } });
    assert.match(page.body, /data-action="recheck"/);
    const r = await form(`${url}/actions/runs/${runId}/recheck`, alice.cookie, { csrf: csrfOf(page.body) });
    assert.equal(r.status, 303, r.body);
    const again = String(r.headers.location ?? '').replace('/runs/', '');
    assert.notEqual(again, runId);
    assert.ok(await store.getRun(again));
    const rita = await login(url, RITA);
    const started = await form(`${url}/actions/pipelines/promote/start`, rita.cookie, { csrf: csrfOf((await call(`${url}/`, { headers: { cookie: rita.cookie } })).body) });
    assert.equal(started.status, 409, 'past the CSRF and role checks: nothing to promote');
    assert.match(started.body, /nothing to do/);
    const actions = (await eventsOf(store, 'web.action')).map((e) => e.kind === 'web.action' && `${e.payload.action} ${e.payload.by} ${e.payload.via}`);
    assert.deepEqual(actions, ['submit alice token', 'cancel alice token', 'recheck alice session']);
  });
});

describe('a single sign-on proxy\'s header', () => {
  it('is believed from the proxy\'s address and ignored from anywhere else', async (t) => {
    const { url, store } = await serving(t, { tokens: [], trustedHeader: { header: 'X-Remote-User', proxies: ['127.0.0.2/32'], roles: { rita: ['release'] } } });
    const target = `${url.replace('127.0.0.1', '127.0.0.1')}/api/targets/kilo/epel-7/disable`;
    const send = (from: string, user: string, extra: Record<string, string> = {}) => call(target, { method: 'POST', from, headers: { 'content-type': 'application/json', 'x-remote-user': user, ...extra }, body: JSON.stringify({ reason: 'via sso' }) });

    const direct = await send('127.0.0.1', 'rita');
    assert.equal(direct.status, 401, 'not from the proxy: the header is ignored');
    assert.equal(code(direct).code, 'E_TOKEN_MISSING');
    const stranger = await send('127.0.0.2', 'sam');
    assert.equal(code(stranger).code, 'E_ROLE_REQUIRED', 'the proxy\'s user with no role may only read');
    assert.match(code(stranger).message, /the proxy's user sam has no role/);
    const crossSite = await send('127.0.0.2', 'rita', { origin: 'https://evil.example' });
    assert.equal(code(crossSite).code, 'E_CSRF');
    assert.equal((await store.getTargetState('kilo/epel-7', Date.now())).disabled, false);

    const viaProxy = await send('127.0.0.2', 'rita');
    assert.equal(viaProxy.status, 200, viaProxy.body);
    const state = await store.getTargetState('kilo/epel-7', Date.now());
    assert.ok(state.disabled && state.disabledBy === 'rita');
    const event = (await eventsOf(store, 'web.action'))[0];
    assert.ok(event?.kind === 'web.action' && event.payload.via === 'header');
    // The dashboard knows the proxy's user too: buttons, no logout (the proxy owns the session).
    const page = await call(`${url}/`, { from: '127.0.0.2', headers: { 'x-remote-user': 'rita' } });
    assert.match(page.body, /data-action="enable-target"/);
    assert.doesNotMatch(page.body, /log out/);
  });
});

describe('web.public_reads: false', () => {
  it('hides pages, API reads, /metrics and events from anyone not recognised; the login page and the stylesheet stay open', async (t) => {
    const { url } = await serving(t, { publicReads: false });
    for (const path of ['/', '/runs', '/api/runs', '/api/targets', '/metrics', '/api/events', '/fragments/front']) {
      const r = await call(`${url}${path}`);
      assert.equal(r.status, 401, path);
      assert.equal(code(r).code, 'E_TOKEN_MISSING');
    }
    const browser = await call(`${url}/runs?limit=5`, { headers: { accept: 'text/html' } });
    assert.equal(browser.status, 303);
    assert.equal(browser.headers.location, '/login?next=%2Fruns%3Flimit%3D5');
    const hostile = await call(`${url}/login?next=${encodeURIComponent('/"><script>alert(1)</script>')}`);
    assert.equal(hostile.status, 200);
    assert.ok(!hostile.body.includes('<script>alert'), 'the way back is escaped');
    assert.match(hostile.body, /name="next" value="\/&quot;&gt;&lt;script&gt;/);
    // After a login, the way back is a path of this server, never another host.
    const ways: [string, string][] = [['/runs?limit=5', '/runs?limit=5'], ['//evil.example/x', '/'], ['https://evil.example/', '/'], ['/\\evil.example', '/']];
    for (const [next, to] of ways) {
      const page = await call(`${url}/login`);
      const nonce = /name="login" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const r = await form(`${url}/login`, String(page.headers['set-cookie']).split(';')[0] ?? '', { login: nonce, token: ALICE, next });
      assert.equal(r.headers.location, to, next);
    }
    assert.equal((await call(`${url}/static/style.css`)).status, 200);
    assert.equal((await call(`${url}/api/runs`, { headers: { authorization: `Bearer ${ALICE}` } })).status, 200);
    const alice = await login(url, ALICE);
    assert.equal((await call(`${url}/runs`, { headers: { cookie: alice.cookie } })).status, 200);
    assert.equal((await call(`${url}/api/runs`, { headers: { cookie: alice.cookie } })).status, 200, 'a session may read the API');
  });
});
