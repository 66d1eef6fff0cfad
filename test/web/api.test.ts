import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { z } from 'zod';
import { loadConfig } from '../../src/cli/config-loader.js';
import { triggerPipeline } from '../../src/cli/pipeline-triggers.js';
import { ERRORS } from '../../src/core/errors.js';
import { ErrorBodySchema } from '../../src/web/api-error.js';
import { JobPageSchema, LadderSchema, NodeSchema, RunPageSchema, RunSchema, TargetViewSchema, UpdateSchema } from '../../src/web/schemas.js';
import { tempDir } from '../helpers/paths.js';
import { updateText } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { AUTH, TEST_TOKENS, TOKEN, until, webEngine, webServer, webSite } from './fixture.js';

interface Reply { statusCode: number; headers: Record<string, unknown>; json(): unknown; body: string }

/** An error answer: the registry's status, the stable code, a message, the JSON shape of every error. */
function assertError(r: Reply, code: keyof typeof ERRORS): z.output<typeof ErrorBodySchema> {
  const body = ErrorBodySchema.parse(r.json());
  assert.equal(body.error.code, code, r.body);
  assert.equal(r.statusCode, ERRORS[code].http, r.body);
  assert.equal(body.error.status, r.statusCode);
  assert.ok(body.error.message.length > 0);
  return body;
}

const submitBody = (id: string, notes: string, targets: readonly string[]) => ({ file: `${id}.yml`, content: updateText(notes, targets), author: { name: 'Packager', email: 'packager@example.org' } });

describe('the HTTP API', () => {
  forEachStore('reads: runs paged and filtered, one run with its jobs, the queue, targets, images, nodes, updates, the ladder, all in the shapes the OpenAPI document gives', async ({ store }, t) => {
    const f = await webSite(tempDir(t));
    const engine = webEngine(f, store);
    const { app, openapi } = await webServer(t, store, f, { engine });
    const ids: string[] = [];
    for (const [id, notes] of [['aaaa', 'all good'], ['bbbb', 'fail on kilo/fedora-22'], ['cccc', 'all good again']] as const) {
      const r = await app.inject({ method: 'POST', url: '/api/runs', headers: AUTH, payload: submitBody(id, notes, ['kilo/epel-7', 'kilo/fedora-22']) });
      assert.equal(r.statusCode, 201, r.body);
      ids.push((r.json() as { runId: string }).runId);
    }
    const queued = await app.inject({ url: '/api/jobs?state=queued' });
    assert.equal(queued.statusCode, 200);
    assert.equal(JobPageSchema.parse(queued.json()).total, 6, 'six jobs wait before the engine starts');
    engine.start();
    t.after(() => engine.stop());
    await until(async () => (await store.listRuns({ unfinished: true })).length === 0, 30_000, 'the runs to finish');

    const page1 = RunPageSchema.parse((await app.inject({ url: '/api/runs?limit=2' })).json());
    assert.deepEqual(page1.items.map((r) => r.updateId), ['cccc', 'bbbb'], 'newest first');
    assert.ok(page1.next);
    const page2 = RunPageSchema.parse((await app.inject({ url: `/api/runs?limit=2&before=${page1.next}` })).json());
    assert.deepEqual(page2.items.map((r) => r.updateId), ['aaaa']);
    assert.equal(page2.next, null);
    const failed = RunPageSchema.parse((await app.inject({ url: '/api/runs?verdict=fail' })).json());
    assert.deepEqual(failed.items.map((r) => r.updateId), ['bbbb']);
    assert.deepEqual(RunPageSchema.parse((await app.inject({ url: '/api/runs?update=aaaa&pipeline=phase1' })).json()).items.map((r) => r.id), [ids[0]]);

    const run = RunSchema.parse((await app.inject({ url: `/api/runs/${ids[1]}` })).json());
    assert.equal(run.verdict, 'fail');
    assert.deepEqual(run.jobs.map((j) => [j.target, j.status]), [['kilo/epel-7', 'success'], ['kilo/fedora-22', 'failure']]);
    assert.match(run.jobs[1]?.logUrl ?? '', /^\/jobs\/.+\/log$/);
    const onlyFailed = JobPageSchema.parse((await app.inject({ url: `/api/runs/${ids[1]}/jobs?result=failure` })).json());
    assert.deepEqual(onlyFailed.items.map((j) => j.target), ['kilo/fedora-22']);
    assert.equal(JobPageSchema.parse((await app.inject({ url: '/api/jobs?result=success&limit=2&offset=1' })).json()).items.length, 2);

    const targets = TargetViewSchema.array().parse((await app.inject({ url: '/api/targets' })).json());
    // The cell shows the job that started last on the target, the newer run's when two
    // started in the same millisecond (one claim can start both); with 3 nodes, whether
    // bbbb's failing kilo/fedora-22 job or cccc's passing one started last depends on the race.
    const f22 = (await Promise.all(ids.map((id) => store.listJobs(id)))).flat().filter((j) => j.target === 'kilo/fedora-22');
    const lastF22 = f22.reduce((a, b) => ((b.startedAt ?? 0) >= (a.startedAt ?? 0) ? b : a));
    assert.deepEqual(targets.map((x) => [x.target, x.status]), [['kilo/epel-7', 'success'], ['kilo/fedora-22', lastF22.result], ['liberty/epel-7', 'none']]);
    assert.equal(targets[1]?.last?.jobId, lastF22.id);
    const images = (await app.inject({ url: '/api/images' })).json() as { target: string; phase1: string }[];
    assert.deepEqual(images.map((i) => i.phase1), ['image', 'image', 'provision']);
    const nodes = NodeSchema.array().parse((await app.inject({ url: '/api/nodes' })).json());
    assert.deepEqual(nodes.map((n) => [n.provider, n.capacity]), [['local', 3]]);

    await until(async () => (await store.listUnreportedRuns()).length === 0, 20_000, 'the merges');
    const ladder = LadderSchema.parse((await app.inject({ url: '/api/ladder' })).json());
    assert.deepEqual([ladder.updates, ladder.ready, ladder.production, ladder.stage], [2, 0, 0, null], 'the two passing updates are in updates/');
    const update = UpdateSchema.parse((await app.inject({ url: '/api/updates/aaaa' })).json());
    assert.equal(update.folder, 'updates');
    assert.equal(update.notes, 'all good');
    assert.deepEqual(update.builds.map((b) => b.dist), ['epel-7', 'fedora-22']);
    assert.deepEqual(update.runs.map((r) => r.id), [ids[0]]);
    const updates = (await app.inject({ url: '/api/updates?folder=updates' })).json() as { items: { id: string }[] };
    assert.deepEqual(updates.items.map((u) => u.id), ['aaaa', 'cccc']);
    assertError(await app.inject({ url: '/api/updates/zzzz' }), 'E_NOT_FOUND');
    assertError(await app.inject({ url: '/api/runs/rnope' }), 'E_NOT_FOUND');

    const paths = Object.keys((openapi as { paths: Record<string, unknown> }).paths);
    for (const p of ['/api/runs', '/api/runs/{id}', '/api/jobs', '/api/updates/{id}', '/api/targets', '/api/images', '/api/nodes', '/api/ladder', '/api/runs/{id}/cancel', '/api/events', '/metrics']) {
      assert.ok(paths.includes(p), `OpenAPI documents ${p}`);
    }
  }, { timeoutMs: 90_000 });

  forEachStore('actions need a token: none is 401, a wrong one is 401, a server without tokens refuses with 403; private reads need one too', async ({ store }, t) => {
    const f = await webSite(tempDir(t));
    const { app } = await webServer(t, store, f);
    const disable = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/targets/kilo/epel-7/disable', headers, payload: { reason: 'mirror broken' } });

    const missing = await disable({});
    assertError(missing, 'E_TOKEN_MISSING');
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    assertError(await disable({ authorization: 'Bearer not-the-token' }), 'E_TOKEN_INVALID');
    assertError(await disable({ authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }), 'E_TOKEN_MISSING');
    assertError(await disable({ authorization: `Bearer ${TOKEN}x` }), 'E_TOKEN_INVALID');
    assert.equal((await store.getTargetState('kilo/epel-7', Date.now())).disabled, false, 'nothing changed');
    // The token is checked before the body is read: a wrong token with bad JSON is still 401.
    assertError(await app.inject({ method: 'POST', url: '/api/runs', headers: { 'content-type': 'application/json' }, payload: '{bad' }), 'E_TOKEN_MISSING');

    const ok = await disable(AUTH);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await store.getTargetState('kilo/epel-7', Date.now())).disabled, true);
    assert.equal((await app.inject({ url: '/api/targets' })).statusCode, 200, 'reads are public by default');

    const closed = await webServer(t, store, f, { auth: { tokens: [], publicReads: true } });
    assertError(await closed.app.inject({ method: 'POST', url: '/api/targets/kilo/epel-7/enable', headers: AUTH }), 'E_ACTIONS_DISABLED');

    const priv = await webServer(t, store, f, { auth: { tokens: TEST_TOKENS, publicReads: false } });
    for (const url of ['/api/runs', '/', '/metrics', '/api/events']) assertError(await priv.app.inject({ url }), 'E_TOKEN_MISSING');
    assertError(await priv.app.inject({ url: '/api/runs', headers: { authorization: 'Bearer wrong' } }), 'E_TOKEN_INVALID');
    assert.equal((await priv.app.inject({ url: '/api/runs', headers: AUTH })).statusCode, 200);
    assert.equal((await priv.app.inject({ url: '/static/style.css' })).statusCode, 200, 'the stylesheet is never secret');
  });

  forEachStore('every bad input is a 4xx with a stable code and names the field; nothing is written', async ({ store }, t) => {
    const f = await webSite(tempDir(t));
    const { app } = await webServer(t, store, f);
    const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url, headers: { ...AUTH, ...headers }, ...(payload === undefined ? {} : { payload: payload as string }) });

    for (const url of ['/api/runs?limit=0', '/api/runs?limit=abc', '/api/runs?limit=1000', '/api/runs?verdict=green', '/api/runs?colour=red', '/api/jobs?state=lost', '/api/runs?update=..%2Fetc']) {
      const body = assertError(await app.inject({ url }), 'E_REQUEST_INVALID');
      assert.match(body.error.message, /^query\./, `${url}: ${body.error.message}`);
      assert.ok((body.error.details ?? []).length > 0);
    }
    assertError(await app.inject({ url: '/api/runs/a..b' }), 'E_REQUEST_INVALID');
    assertError(await app.inject({ url: '/api/jobs/%3Cscript%3E' }), 'E_REQUEST_INVALID');
    assertError(await app.inject({ url: '/api/nothing-here' }), 'E_NO_ROUTE');
    assertError(await app.inject({ method: 'DELETE', url: '/api/runs' }), 'E_NO_ROUTE');

    assertError(await post('/api/runs', '{"file": ', { 'content-type': 'application/json' }), 'E_REQUEST_INVALID');
    assertError(await post('/api/runs', 'file=x.yml', { 'content-type': 'application/x-www-form-urlencoded' }), 'E_MEDIA_TYPE');
    assertError(await post('/api/runs', JSON.stringify({ file: 'x.yml', content: 'a'.repeat(2 * 1024 * 1024) }), { 'content-type': 'application/json' }), 'E_FILE_TOO_LARGE');
    const noFile = assertError(await post('/api/runs', { content: 'notes: x' }), 'E_REQUEST_INVALID');
    assert.equal(noFile.error.details?.[0]?.path, 'body.file');
    assertError(await post('/api/runs', { file: '../../etc/passwd.yml', content: 'x' }), 'E_REQUEST_INVALID');
    assertError(await post('/api/runs', { file: 'x.yml', content: 'x', extra: 1 }), 'E_REQUEST_INVALID');
    const yaml = assertError(await post('/api/runs', { file: 'abcd.yml', content: 'notes: [unclosed\n' }), 'E_YAML_SYNTAX');
    assert.match(yaml.error.message, /^updates\/abcd\.yml:\d+:\d+: /);
    const target = assertError(await post('/api/runs', { file: 'abcd.yml', content: updateText('x', ['juno/epel-7']) }), 'E_RELEASE_UNKNOWN');
    assert.ok((target.error.details ?? []).length >= 1);
    // An update it needs that nobody submitted (docs/lifecycle.md, "Updates that need each other").
    const needs = assertError(await post('/api/runs', { file: 'abcd.yml', content: updateText('x', ['kilo/epel-7']), with: ['zz99'] }), 'E_DEPENDENCY_UNKNOWN');
    assert.match(needs.error.message, /zz99: no update zz99 is known .*\(declared by with in the API request\)/);
    assert.deepEqual(await store.listRuns(), [], 'no run was written');

    const noReason = assertError(await post('/api/targets/kilo/epel-7/disable', { reason: '   ' }), 'E_REQUEST_INVALID');
    assert.equal(noReason.error.details?.[0]?.path, 'body.reason');
    assertError(await post('/api/targets/kilo/epel-7/disable', { reason: 'x', until: 'yesterday' }), 'E_REQUEST_INVALID');
    assertError(await post('/api/targets/kilo/epel-7/disable', { reason: 'x', until: '2001-01-01T00:00:00Z' }), 'E_REQUEST_INVALID');
    assertError(await post('/api/targets/juno/epel-7/disable', { reason: 'x' }), 'E_TARGET_NOT_CONFIGURED');
    assertError(await post('/api/targets/kilo/epel-7/enable'), 'E_TARGET_NOT_DISABLED');
    assertError(await post('/api/pipelines/phase1/start'), 'E_REQUEST_INVALID');
    assertError(await post('/api/runs/rnope/cancel'), 'E_NOT_FOUND');
    assertError(await post('/api/runs/rnope/recheck'), 'E_NOT_FOUND');
    assert.equal((await store.listTargetStates(Date.now())).filter((s) => s.disabled).length, 0);
  });

  forEachStore('actions: submit, cancel, recheck, disable and enable a target, start phase2 (nothing to do on an empty updates/)', async ({ store }, t) => {
    const f = await webSite(tempDir(t));
    const loaded = loadConfig({ cwd: f.site.dir, env: {}, stdoutIsTTY: false, out: () => {}, err: () => {}, readStdin: () => new Uint8Array(), now: () => Date.now() }, undefined);
    const { app } = await webServer(t, store, f, { trigger: (pipeline, now) => triggerPipeline(loaded, store, pipeline, now) });

    const until = Date.now() + 3_600_000;
    const disabled = await app.inject({ method: 'POST', url: '/api/targets/kilo/fedora-22/disable', headers: AUTH, payload: { reason: 'mirror broken', until: new Date(until).toISOString() } });
    assert.equal(disabled.statusCode, 200, disabled.body);
    const state = await store.getTargetState('kilo/fedora-22', Date.now());
    assert.ok(state.disabled && state.reason === 'mirror broken' && state.until === until && state.disabledBy === 'tester', 'in the name of the token\'s person');

    const submitted = await app.inject({ method: 'POST', url: '/api/runs', headers: AUTH, payload: submitBody('abcd', 'sleep 30', ['kilo/epel-7', 'kilo/fedora-22']) });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const { runId, jobs, skipped, url } = submitted.json() as { runId: string; jobs: number; skipped: number; url: string };
    assert.deepEqual([jobs, skipped, url], [2, 1, `/runs/${runId}`]);
    const run = await store.getRun(runId);
    assert.equal((run?.inputs as { author: { name: string } }).author.name, 'Packager');

    const cancelled = await app.inject({ method: 'POST', url: `/api/runs/${runId}/cancel`, headers: AUTH, payload: { reason: 'superseded' } });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.deepEqual((cancelled.json() as { verdict: string }).verdict, 'cancelled');
    assertError(await app.inject({ method: 'POST', url: `/api/runs/${runId}/cancel`, headers: AUTH }), 'E_RUN_FINISHED');

    const recheck = await app.inject({ method: 'POST', url: `/api/runs/${runId}/recheck`, headers: AUTH });
    assert.equal(recheck.statusCode, 201, recheck.body);
    const again = recheck.json() as { runId: string; recheckOf: string };
    assert.equal(again.recheckOf, runId);
    const copied = await store.listJobs(again.runId);
    assert.deepEqual(copied.map((j) => [j.target, j.result]), [['kilo/epel-7', null], ['kilo/fedora-22', 'skipped']], 'the recorded plan, skip included');

    const enabled = await app.inject({ method: 'POST', url: '/api/targets/kilo/fedora-22/enable', headers: AUTH, payload: { by: 'operator' } });
    assert.equal(enabled.statusCode, 200, enabled.body);
    assert.equal((await store.getTargetState('kilo/fedora-22', Date.now())).disabled, false);

    const phase2 = assertError(await app.inject({ method: 'POST', url: '/api/pipelines/phase2/start', headers: AUTH }), 'E_NOTHING_TO_DO');
    assert.match(phase2.error.message, /updates\/ is empty/);
  });
});
