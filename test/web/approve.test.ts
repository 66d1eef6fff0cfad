import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PromoteInputs, StagedPlan } from '../../src/core/records/promote.js';
import { approvalGate, promoteSetOf } from '../../src/pipelines/promote/gates.js';
import { openStore } from '../../src/store/index.js';
import { SESSION_COOKIE } from '../../src/web/session.js';
import { tempDir } from '../helpers/paths.js';
import { namedToken, webServer, webSite } from './fixture.js';

// The run page's approve button: shown to a release manager on a waiting promote, a
// CSRF-protected form carrying the set the page showed; a packager sees no button.

const ALICE = 'alice-packager-token-0123456789abcdef';
const RITA = 'rita-release-token-0123456789abcdef';
const T0 = Date.now();

test('the run page approves the set it shows, with the session\'s CSRF token; a packager has no button', async (t) => {
  const f = await webSite(tempDir(t));
  const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  const inputs: PromoteInputs = { ready: ['aaaa', 'bbbb'].map((id) => ({ id, blob: `b-${id}`, content: `id: ${id}\n`, contentHash: id.padEnd(64, '0') })), configFile: 'sluice.yaml', configHash: '1'.repeat(64), plannedAt: T0 };
  const plan: StagedPlan = { staged: ['aaaa', 'bbbb'].map((id) => ({ id, targets: [{ target: 'kilo/epel-7', files: [`${id}.rpm`] }] })), failed: [], trees: [{ target: 'kilo/epel-7', stagePath: '/stage' }] };
  assert.ok((await store.insertRunWithJobs({ run: { id: 'rpr1', pipeline: 'promote', controller: 'promote', inputs, reason: null }, jobs: [], now: T0 })).ok);
  await store.appendEvent({ at: T0, kind: 'promote.staged', runId: 'rpr1', payload: plan });
  const gate = await approvalGate({ config: { ...f.site.config, promote: { ...f.site.config.promote, approval: 'required' } }, store }, { id: 'rpr1', inputs }, plan);
  assert.ok(gate?.kind === 'wait');
  assert.ok(await store.claimRunAdvance({ runId: 'rpr1', worker: 'w', now: T0, leaseMs: 60_000 }));
  await store.parkControlledRun({ runId: 'rpr1', worker: 'w', why: gate.why, now: T0 });
  const set = promoteSetOf(inputs, plan);

  const { app } = await webServer(t, store, f, { auth: { tokens: [namedToken('alice', ['packager'], ALICE), namedToken('rita', ['release'], RITA)], publicReads: true } });
  const login = async (token: string) => {
    const page = await app.inject({ method: 'GET', url: '/login', headers: { accept: 'text/html' } });
    const nonce = /name="login" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const loginCookie = String(page.headers['set-cookie']).split(';')[0] ?? '';
    const r = await app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie }, payload: new URLSearchParams({ login: nonce, token, next: '/' }).toString() });
    return ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.split(';')[0] ?? '';
  };
  const rita = await login(RITA);
  const page = (await app.inject({ method: 'GET', url: '/runs/rpr1', headers: { cookie: rita, accept: 'text/html' } })).body;
  assert.match(page, new RegExp(`waits for approval of set ${set.hash.slice(0, 12)} \\(2 updates: aaaa, bbbb\\)`));
  const formHtml = /<form class="inline" method="post" action="\/actions\/runs\/rpr1\/approve">.*?<\/form>/s.exec(page)?.[0] ?? '';
  assert.match(formHtml, new RegExp(`name="set" value="${set.hash}"`));
  assert.match(formHtml, new RegExp(`approve set ${set.hash.slice(0, 12)} \\(aaaa, bbbb\\)`));
  const csrf = /name="csrf" value="([^"]+)"/.exec(formHtml)?.[1] ?? '';

  // A packager sees the waiting run, not the button.
  const alice = await login(ALICE);
  const seen = (await app.inject({ method: 'GET', url: '/runs/rpr1', headers: { cookie: alice, accept: 'text/html' } })).body;
  assert.match(seen, /waits for approval of set/);
  assert.doesNotMatch(seen, /data-action="approve-promote"/);

  const post = (fields: Record<string, string>) => app.inject({ method: 'POST', url: '/actions/runs/rpr1/approve', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: rita, accept: 'text/html' }, payload: new URLSearchParams(fields).toString() });
  assert.equal((await post({ set: set.hash })).statusCode, 403, 'no CSRF token: refused');
  assert.equal((await post({ csrf, set: 'abcdef' })).statusCode, 409, 'another set: refused');
  assert.deepEqual(await store.listApprovals('rpr1'), []);
  const ok = await post({ csrf, set: set.hash });
  assert.equal(ok.statusCode, 303);
  const approvals = await store.listApprovals('rpr1');
  assert.deepEqual(approvals.map((a) => [a.setHash, a.by, a.via]), [[set.hash, 'rita', 'dashboard']]);
  assert.equal((await store.listEvents({ runId: 'rpr1' })).filter((e) => e.kind === 'web.action').length, 1);
});
