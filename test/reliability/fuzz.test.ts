import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/cli/config-loader.js';
import { triggerPipeline } from '../../src/cli/pipeline-triggers.js';
import { SUBSCRIBED_TYPES } from '../../src/drivers/gerrit/events.js';
import { startWebhook, WEBHOOK_PATH } from '../../src/drivers/gerrit/webhook.js';
import { triggerFixture } from '../drivers/gerrit/fixture.js';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { submit, updateText } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { TOKEN, webServer, webSite } from '../web/fixture.js';
import { assertDocumentedAnswer, HttpClient, type HttpAnswer } from './http-client.js';

/**
 * Issue 10, suite 4: whatever arrives from outside (update files, configuration, API
 * requests, Gerrit webhook posts) gets a documented, clear refusal or is accepted; nothing
 * crashes, nothing answers 5xx, and the server still answers afterwards.
 * test/core/fuzz.test.ts fuzzes the parsers in-process; this suite goes through the real
 * edges: HTTP sockets, the webhook listener, the `sluice` executable.
 *
 * The seed is fixed so CI is repeatable; SLUICE_FUZZ_SEED replays another, and
 * SLUICE_FUZZ_RUNS makes a longer run on demand (docs/reliability.md).
 */
const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20151104);
const RUNS = Math.max(1, Number(process.env.SLUICE_FUZZ_RUNS ?? 200));
const params = { seed: SEED, numRuns: RUNS };

/** Mostly the right token, so most requests get past authentication to the body. */
const auth = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Record<string, string>>({ authorization: `Bearer ${TOKEN}` }) },
  { weight: 1, arbitrary: fc.constantFrom<Record<string, string>>({}, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN} extra` }) },
);
/** Header values must be Latin-1 without control characters, or the client refuses to send them. */
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const contentTypes = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'text/yaml',
    'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/octet-stream', 'application/JSON', ';;'),
  headerText,
);
const hostileText = fc.constantFrom('..', '.', '../../etc/passwd', '$(touch PWNED)', '<script>alert(1)</script>', '\u0000', '\u202e', '%', '%2e%2e', 'kilo', 'epel-7', 'phase2', 'promote', 'phase1', ' ', '');
const pathSegment = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ minLength: 90, maxLength: 220 }), hostileText);
/** Path parts sent as they are: bad percent-encoding and parts longer than the router takes. */
const rawSegment = fc.constantFrom('%zz', '%', '%E0%A4%A', 'a%2', '%00', 'x'.repeat(101), 'y'.repeat(300));
const enc = (s: string) => encodeURIComponent(s);

const releases = ['kilo', 'liberty', 'juno', 'Kilo', 'kilo/epel-7'] as const;
const dists = ['epel-7', 'el7', 'fedora-22', 'f22', 'epel-6', ''] as const;
const nearBuild = fc.record({
  id: fc.oneof(fc.constantFrom('openstack-nova-2015.1.2-1.el7', 'a-1-1', '123456', 'nvr'), fc.string({ maxLength: 30 }), fc.integer()),
  repo: fc.oneof(fc.constantFrom(...releases), fc.string({ maxLength: 10 })),
  dist: fc.oneof(fc.constantFrom(...dists), fc.string({ maxLength: 10 })),
  source: fc.oneof(fc.constantFrom('koji', 'koji-scratch', 'local', 'copr-x'), fc.string({ maxLength: 10 })),
  tag: fc.string({ maxLength: 10 }),
  arch: fc.constantFrom('noarch', 'x86_64, src', 'sparc', ''),
}, { requiredKeys: [] });
const nearUpdate = fc.record({
  notes: fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('', '   ', 'sleep 0', 'nul \u0000 here'), fc.integer()),
  builds: fc.oneof(fc.array(nearBuild, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
  group: fc.oneof(fc.constantFrom('ready', 'updates', 'temp-x'), fc.string({ maxLength: 10 })),
  extra: fc.jsonValue({ maxDepth: 1 }),
}, { requiredKeys: [] });
const updateTextish = fc.oneof(
  nearUpdate.map((u) => stringify(u)),
  fc.constantFrom(updateText('fuzzed', ['kilo/epel-7']), updateText('fuzzed', ['kilo/epel-7', 'liberty/epel-7'])),
  fc.stringMatching(/^[a-z:\-\n [\]{}&*!|>"'#0-9.]{0,120}$/),
  fc.string({ maxLength: 200 }),
);
const fileName = fc.oneof(fc.stringMatching(/^[a-z0-9]{1,12}\.yml$/), fc.string({ maxLength: 30 }), hostileText, fc.constantFrom('updates/ok.yml', 'updates/../x.yml', '.yml'));

/** The bodies of every action, near their schema and far from it. */
function actionBody(runIds: readonly string[]): fc.Arbitrary<{ path: string; body: unknown }> {
  const runId = fc.oneof(fc.constantFrom(...runIds), pathSegment);
  const submitBody = fc.record({
    file: fileName, content: updateTextish,
    author: fc.oneof(fc.record({ name: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 10 })), email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 })) }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 1 })),
    extra: fc.jsonValue({ maxDepth: 1 }),
  }, { requiredKeys: [] });
  const disableBody = fc.record({
    reason: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.jsonValue({ maxDepth: 1 })),
    until: fc.oneof(fc.constantFrom('12h', '2d', '0s', '-1h', '2001-01-01T00:00:00Z', '2999-01-01T00:00:00Z', 'never', '9'.repeat(30) + 'd'), fc.string({ maxLength: 40 }), fc.integer()),
    by: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
  }, { requiredKeys: [] });
  const anyBody = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined));
  return fc.oneof(
    submitBody.map((b) => ({ path: '/api/runs', body: b })),
    fc.tuple(runId, fc.oneof(fc.record({ reason: fc.oneof(fc.string({ maxLength: 30 }), fc.integer()) }, { requiredKeys: [] }), anyBody)).map(([id, b]) => ({ path: `/api/runs/${enc(id)}/cancel`, body: b })),
    fc.tuple(runId, anyBody).map(([id, b]) => ({ path: `/api/runs/${enc(id)}/recheck`, body: b })),
    fc.tuple(fc.oneof(fc.constantFrom(...releases), pathSegment), fc.oneof(fc.constantFrom(...dists), pathSegment), fc.oneof(disableBody, anyBody), fc.constantFrom('disable', 'enable'))
      .map(([r, d, b, action]) => ({ path: `/api/targets/${enc(r)}/${enc(d)}/${action}`, body: b })),
    fc.tuple(pathSegment, anyBody).map(([p, b]) => ({ path: `/api/pipelines/${enc(p)}/start`, body: b })),
    fc.tuple(pathSegment, anyBody).map(([p, b]) => ({ path: `/api/${enc(p)}`, body: b })),
  );
}

/** A web server of a site on a real store, listening on loopback, with a client to it. */
async function listeningSite(t: TestContext, store: Parameters<typeof webServer>[1]): Promise<{ http: HttpClient; runIds: string[] }> {
  const f = await webSite(tempDir(t, 'sluice-fuzz-web-'));
  // Some runs to aim the id-taking endpoints at: one queued, one cancelled.
  const queued = await submit(f.site, store, 'queued1', 'sleep 0', ['kilo/epel-7']);
  const cancelled = await submit(f.site, store, 'cancel1', 'sleep 0', ['kilo/epel-7']);
  await store.cancelRun({ runId: cancelled, now: Date.now(), reason: 'fuzz' });
  const loaded = loadConfig({ cwd: f.site.dir, env: {}, stdoutIsTTY: false, out: () => {}, err: () => {}, readStdin: () => new Uint8Array(), now: () => Date.now() }, undefined);
  const { app } = await webServer(t, store, f, { trigger: (pipeline, now) => triggerPipeline(loaded, store, pipeline, now) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const http = new HttpClient('127.0.0.1', (app.server.address() as AddressInfo).port);
  t.after(() => http.close());
  return { http, runIds: [queued, cancelled, `${queued}.kilo_epel-7`] };
}

/** The server answers a plain read afterwards: it did not crash or wedge. */
async function assertStillAnswers(http: HttpClient): Promise<void> {
  const a = await http.send({ path: '/api/runs?limit=1' });
  assert.equal(a.status, 200, a.body);
}

describe('fuzzing what comes from outside', () => {
  it('prints its seed', (t) => {
    t.diagnostic(`fast-check seed ${SEED}, ${RUNS} runs per property (SLUICE_FUZZ_SEED, SLUICE_FUZZ_RUNS)`);
  });

  forEachStore('web API actions: any JSON body, any path parameter, with or without a token, get a success or a documented 4xx', async ({ store }, t) => {
    const { http, runIds } = await listeningSite(t, store);
    const statuses = new Map<number, number>();
    await fc.assert(fc.asyncProperty(actionBody(runIds), auth, async ({ path, body }, authHeaders) => {
      const a = await http.send({ method: 'POST', path, headers: { ...authHeaders, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      assertDocumentedAnswer(a, `POST ${path} ${JSON.stringify(body)?.slice(0, 200)}`);
    }), params);
    await assertStillAnswers(http);
    t.diagnostic(`answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, { timeoutMs: 300_000 });

  forEachStore('web API actions: any bytes under any Content-Type get a success or a documented 4xx', async ({ store }, t) => {
    const { http, runIds } = await listeningSite(t, store);
    const paths = ['/api/runs', `/api/runs/${runIds[0]}/cancel`, `/api/runs/${runIds[1]}/recheck`, '/api/targets/kilo/epel-7/disable', '/api/targets/kilo/epel-7/enable', '/api/pipelines/phase2/start'];
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s)), fc.jsonValue({ maxDepth: 2 }).map((v) => new TextEncoder().encode(`${JSON.stringify(v)}${'}'}`)));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), bytes, contentTypes, auth, async (path, body, type, authHeaders) => {
      const a = await http.send({ method: 'POST', path, headers: { ...authHeaders, 'content-type': type }, body });
      assertDocumentedAnswer(a, `POST ${path} (${type}) ${Buffer.from(body).toString('hex').slice(0, 200)}`);
    }), params);
    await assertStillAnswers(http);
  }, { timeoutMs: 300_000 });

  forEachStore('web reads and pages: any query string and path parameter get a success or a documented 4xx', async ({ store }, t) => {
    const { http, runIds } = await listeningSite(t, store);
    // The event streams never end by design; their query validation is covered by test/web.
    const templates = ['/api/runs', '/api/jobs', '/api/updates', '/api/targets', '/api/images', '/api/nodes', '/api/ladder', '/api/openapi.json', '/metrics',
      '/api/runs/{id}', '/api/runs/{id}/jobs', '/api/jobs/{id}', '/api/jobs/{id}/log', '/api/updates/{id}',
      '/', '/runs', '/runs/{id}', '/updates/{id}', '/jobs/{id}/log', '/jobs/{id}/log.txt', '/fragments/front', '/fragments/runs/{id}', '/static/{id}', '/{id}'];
    const keys = fc.oneof(fc.constantFrom('limit', 'offset', 'before', 'state', 'result', 'verdict', 'pipeline', 'update', 'target', 'folder', 'from', 'count', 'line', 'run'), fc.string({ maxLength: 8 }));
    const values = fc.oneof(fc.constantFrom('0', '1', '-1', '1e3', '200', '501', 'queued', 'finished', 'fail', 'pass', 'phase1', 'updates', 'NaN', ''), fc.string({ maxLength: 20 }), hostileText);
    const query = fc.array(fc.tuple(keys, values), { maxLength: 4 }).map((kv) => kv.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'));
    const id = fc.oneof(fc.constantFrom(...runIds, 'queued1', 'style.css').map(enc), pathSegment.map(enc), rawSegment);
    await fc.assert(fc.asyncProperty(fc.constantFrom(...templates), id, query, auth, async (template, idValue, q, authHeaders) => {
      const path = `${template.replace('{id}', idValue)}${q ? `?${q}` : ''}`;
      const a: HttpAnswer = await http.send({ path, headers: authHeaders });
      assertDocumentedAnswer(a, `GET ${path}`);
    }), params);
    await assertStillAnswers(http);
  }, { timeoutMs: 300_000 });

  it('Gerrit webhook: any body, with or without the secret, on any path and method, gets 204, 400, 401, 404 or 405; events that parse reach the trigger without an error', async (t) => {
    const fx = await triggerFixture(t, { forward: false });
    const secret = 'webhook-secret-0123';
    const accepted: unknown[] = [];
    const hook = await startWebhook({ listen: '127.0.0.1:0', secret, onEvent: (raw) => { accepted.push(raw); fx.trigger.accept(raw); } });
    t.after(() => hook.stop());
    const http = new HttpClient('127.0.0.1', hook.port);
    t.after(() => http.close());
    const { project, branch } = fx.gerrit;
    const account = fc.record({ name: fc.string({ maxLength: 10 }), email: fc.string({ maxLength: 10 }), username: fc.constantFrom('jruzicka', 'sluice-bot', 'rdo-admin', ''), accountId: fc.integer() }, { requiredKeys: [] });
    const nearEvent = fc.record({
      type: fc.oneof(fc.constantFrom(...SUBSCRIBED_TYPES), fc.string({ maxLength: 10 })),
      change: fc.record({ project: fc.constantFrom(project, 'other', ''), branch: fc.constantFrom(branch, `refs/heads/${branch}`, 'x'), number: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.string({ maxLength: 5 }), fc.double()), topic: fc.string({ maxLength: 20 }), owner: account, id: fc.string({ maxLength: 10 }) }, { requiredKeys: [] }),
      patchSet: fc.record({ number: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.string({ maxLength: 3 })), revision: fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), fc.string({ maxLength: 5 })), uploader: account }, { requiredKeys: [] }),
      comment: fc.oneof(fc.constantFrom('recheck', 'phase2', 'Patch Set 1: recheck'), fc.string({ maxLength: 40 })),
      author: account,
      abandoner: account,
      submitter: account,
      refUpdate: fc.record({ project: fc.constantFrom(project, 'x'), refName: fc.constantFrom(branch, `refs/heads/${branch}`, ''), newRev: fc.string({ maxLength: 40 }), oldRev: fc.string({ maxLength: 40 }) }, { requiredKeys: [] }),
      eventCreatedOn: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 10 })),
    }, { requiredKeys: ['type'] });
    const body = fc.oneof(
      nearEvent.map((e) => JSON.stringify(e)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const how = fc.constantFrom<'query' | 'header' | 'wrong' | 'none'>('query', 'header', 'query', 'header', 'wrong', 'none');
    const route = fc.oneof(fc.constant({ method: 'POST', path: WEBHOOK_PATH }), fc.constantFrom({ method: 'GET', path: WEBHOOK_PATH }, { method: 'PUT', path: WEBHOOK_PATH }, { method: 'POST', path: '/gerrit/other' }, { method: 'POST', path: '/' }));
    const counts = { accepted: 0, refused: 0, notJson: 0 };
    await fc.assert(fc.asyncProperty(route, body, how, contentTypes, async (r, text, secretBy, type) => {
      const query = secretBy === 'query' ? `?secret=${enc(secret)}` : secretBy === 'wrong' ? '?secret=guess' : '';
      const a = await http.send({ method: r.method, path: `${r.path}${query}`, headers: { 'content-type': type, ...(secretBy === 'header' ? { 'x-sluice-secret': secret } : {}) }, body: text });
      const what = `${r.method} ${r.path} secret by ${secretBy}: ${text.slice(0, 200)} -> ${a.status} ${a.body}`;
      if (r.path !== WEBHOOK_PATH) return assert.equal(a.status, 404, what);
      if (r.method !== 'POST') return assert.equal(a.status, 405, what);
      if (secretBy === 'wrong' || secretBy === 'none') {
        counts.refused++;
        return assert.equal(a.status, 401, what);
      }
      let json = true;
      try { JSON.parse(text); } catch { json = false; }
      if (!json) counts.notJson++; else counts.accepted++;
      assert.equal(a.status, json ? 204 : 400, what);
    }), params);
    await fx.trigger.idle();
    assert.equal(accepted.length, counts.accepted, 'every JSON body with the secret, and only those, reached the trigger');
    // A TypeError or the like in the trigger is logged by its queue rather than thrown: look for one.
    const broken = fx.logs.filter((l) => /TypeError|ReferenceError|RangeError|Cannot read|is not a function|undefined/.test(l));
    assert.deepEqual(broken, [], 'no event made the trigger fail on malformed data');
    const still = await http.send({ method: 'POST', path: `${WEBHOOK_PATH}?secret=${secret}`, body: '{"type":"noop"}' });
    assert.equal(still.status, 204, 'the webhook still answers');
    t.diagnostic(`webhook: ${counts.accepted} events accepted, ${counts.notJson} bodies not JSON, ${counts.refused} without the secret; trigger log lines ${fx.logs.length}`);
  });

  it('sluice check (the executable): fuzzed update files get FILE:LINE:COL problems naming the file, exit 0 or 1, never a stack trace', (t) => {
    const dir = tempDir(t, 'sluice-fuzz-check-');
    const files = fc.sample(fc.oneof(updateTextish.map((s) => new TextEncoder().encode(s)), fc.uint8Array({ maxLength: 300 })), { numRuns: RUNS, seed: SEED });
    const BATCH = 50;
    const configText = `releases: [kilo, liberty]\ndists: { epel-7: { aliases: [el7] }, fedora-22: { aliases: [f22] } }\ntargets:\n  kilo/epel-7: { repo: "https://example.org/kilo/el7/" }\n  liberty/epel-7: { repo: "https://example.org/liberty/el7/" }\n`;
    writeFileSync(join(dir, 'sluice.yaml'), configText);
    let invalid = 0;
    for (let start = 0; start < files.length; start += BATCH) {
      const names = files.slice(start, start + BATCH).map((bytes, i) => {
        const name = `f${start + i}.yml`;
        writeFileSync(join(dir, name), bytes);
        return name;
      });
      const json = runBin(['check', '--json', ...names], { cwd: dir });
      const plain = runBin(['check', ...names], { cwd: dir });
      for (const r of [json, plain]) {
        assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr.slice(0, 500)}`);
        assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .+:\d+:\d+|E_INTERNAL|TypeError/, 'no stack trace, no internal failure');
      }
      const report = JSON.parse(json.stdout) as { valid: boolean; files: { file: string; valid: boolean }[] };
      assert.deepEqual(report.files.map((f) => f.file), names, 'one report per file, in order');
      const bad = report.files.filter((f) => !f.valid).map((f) => f.file);
      invalid += bad.length;
      assert.equal(json.status, bad.length > 0 ? 1 : 0);
      assert.equal(plain.status, json.status);
      const lines = plain.stdout.split('\n').filter((l) => l !== '');
      for (const l of lines) assert.match(l, /^f\d+\.yml:\d+:\d+: \S/, `every problem line names its file and position: ${l}`);
      const named = new Set(lines.map((l) => l.split(':')[0]));
      for (const f of bad) assert.ok(named.has(f), `${f} is invalid and a line says why`);
    }
    t.diagnostic(`${files.length} files checked in batches of ${BATCH}: ${invalid} invalid, ${files.length - invalid} valid`);
  });

  it('sluice check --config (the executable): a fuzzed configuration is refused with exit 2 naming the file, never a stack trace', (t) => {
    const dir = tempDir(t, 'sluice-fuzz-config-');
    mkdirSync(join(dir, 'updates'));
    writeFileSync(join(dir, 'updates', 'abcd.yml'), updateText('fuzz', ['kilo/epel-7']));
    // A valid configuration with one key replaced by anything, or dropped.
    const valid: Record<string, unknown> = {
      releases: ['kilo'], dists: { 'epel-7': { aliases: ['el7'] } }, targets: { 'kilo/epel-7': { repo: 'https://example.org/kilo/el7/' } },
      pipelines: { phase1: { test: 'true' } }, store: 'sqlite:x.db',
    };
    const near = fc.tuple(fc.constantFrom('releases', 'dists', 'targets', 'pipelines', 'store', 'providers', 'engine', 'web'), fc.option(fc.jsonValue({ maxDepth: 2 })))
      .map(([key, value]) => ({ ...valid, [key]: value ?? undefined }));
    // A process per case: a smaller sample than the in-process properties.
    const texts = fc.sample(fc.oneof(near.map((c) => stringify(c)), fc.string({ maxLength: 200 }), fc.stringMatching(/^[a-z:\-\n [\]{}&*!|>"'#0-9.]{0,120}$/)), { numRuns: Math.max(5, Math.ceil(RUNS / 40)), seed: SEED });
    let refused = 0;
    for (const [i, text] of texts.entries()) {
      const name = `c${i}.yaml`;
      writeFileSync(join(dir, name), text);
      const r = runBin(['check', '--config', name, 'updates/abcd.yml'], { cwd: dir });
      const out = r.stdout + r.stderr;
      assert.doesNotMatch(out, /\n\s+at .+:\d+:\d+|E_INTERNAL|TypeError/, `${name}: ${out.slice(0, 500)}`);
      assert.ok([0, 1, 2].includes(r.status), `${name}: exit ${r.status}: ${out.slice(0, 500)}`);
      if (r.status === 2) {
        refused++;
        assert.match(r.stderr, new RegExp(`${name}`), `the refusal names the configuration file: ${r.stderr.slice(0, 500)}`);
      }
    }
    t.diagnostic(`${texts.length} configurations: ${refused} refused with exit 2`);
  });
});
