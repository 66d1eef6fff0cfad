import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { faultUpdate, makeFaultSite } from '../helpers/fault-site.js';
import { tokenLine } from '../../src/web/tokens.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';

// `sluice serve` as an operator runs it, reloading sluice.yaml on SIGHUP and through
// POST /api/admin/reload. Each job's test command echoes a word the configuration names,
// so its log tells which configuration planned it.

const TOKEN = 'reload-test-token';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Generous: the box is shared; nothing here asserts how long anything takes. */
const PATIENCE_MS = 120_000;

interface Served { child: ChildProcess; url: Promise<string>; stderr(): string }

function serve(dir: string): Served {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', '127.0.0.1:0'], {
    cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...withoutSluiceSettings(process.env), SLUICE_WEB_TOKENS: tokenLine('ops', ['admin'], TOKEN) },
  });
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += String(d);
      const m = /dashboard and API on (http:\/\/\S+?)\//.exec(err);
      if (m?.[1] && err.includes('sluice serve: working')) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${err}`)));
  });
  url.catch(() => undefined);
  return { child, url, stderr: () => err };
}

/** The test's own environment less what would point serve elsewhere than the site's sluice.yaml. */
function withoutSluiceSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { SLUICE_STORE: _store, SLUICE_CONFIG: _config, ...rest } = env;
  return rest;
}

async function until<T>(what: string, served: Served, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not seen in time; serve said:\n${served.stderr()}`);
    await sleep(200);
  }
}

/** A site whose phase1 command echoes `word` before the notes-driven smoke test. */
async function reloadSite(t: TestContext): Promise<{ dir: string; configWith: (word: string, extra?: (text: string) => string) => string }> {
  const site = await makeFaultSite(tempDir(t));
  const original = readFileSync(join(site.dir, 'sluice.yaml'), 'utf8');
  const configWith = (word: string, extra: (text: string) => string = (x) => x) => extra(original.replace(
    `test: '"$SLUICE_CONFIG_DIR/tests/smoke.sh"'`, `test: 'echo "planned-with ${word}"; "$SLUICE_CONFIG_DIR/tests/smoke.sh"'`,
  ));
  writeFileSync(join(site.dir, 'sluice.yaml'), configWith('first'));
  return { dir: site.dir, configWith };
}

async function submit(url: string, id: string, notes: string): Promise<string> {
  const res = await fetch(`${url}/api/runs`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ file: `${id}.yml`, content: faultUpdate(notes, [{ id: `python-${id}-1.0-1.el7`, dist: 'epel-7' }]) }),
  });
  const body = await res.json() as { runId: string };
  assert.equal(res.status, 201, JSON.stringify(body));
  return body.runId;
}

/** The log of the run's single job once the run has its verdict. */
async function finishedLog(store: Store, served: Served, runId: string): Promise<{ runId: string; log: string; result: string | null; attempt: number; finishedAt: number | null }> {
  const job = await until(`run ${runId} finished`, served, async () => {
    const run = await store.getRun(runId);
    if (run?.state !== 'finished') return undefined;
    return (await store.listJobs(runId))[0];
  });
  assert.ok(job.logPath, `job ${job.id} has a log`);
  return { runId, log: readFileSync(job.logPath, 'utf8'), result: job.result, attempt: job.attempt, finishedAt: job.finishedAt };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The line of `needle` in `text`, 1-based. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** A reload site with its `sluice serve` running and its store open; both go when the test ends. */
async function servedSite(t: TestContext) {
  const { dir, configWith } = await reloadSite(t);
  const served = serve(dir);
  t.after(() => { if (served.child.exitCode === null) served.child.kill('SIGKILL'); });
  const url = await served.url;
  const store = await openStore(`sqlite:${join(dir, '.sluice', 'sluice.db')}`);
  t.after(() => store.close());
  return { dir, configWith, served, url, store };
}

describe('sluice serve reloads sluice.yaml', () => {
  it('on SIGHUP: a broken file changes nothing and is logged with its position; a good one plans the next job, lets the running one finish as planned, and is recorded', async (t) => {
    const { dir, configWith, served, url, store } = await servedSite(t);

    // Broken: the new command comes with a timeout that is no duration.
    const broken = configWith('second', (x) => x.replace('timeout: 1m', 'timeout: soon'));
    writeFileSync(join(dir, 'sluice.yaml'), broken);
    served.child.kill('SIGHUP');
    await until('the refusal', served, () => (served.stderr().includes('reload refused') ? true : undefined));
    const line = lineOf(broken, 'timeout: soon');
    assert.match(served.stderr(), new RegExp(`sluice\\.yaml:${line}:\\d+: error: pipelines\\.phase1\\.timeout: `));
    assert.equal(served.child.exitCode, null, 'serve goes on');
    const afterBroken = await finishedLog(store, served, await submit(url, 'aaaa', 'after a broken reload'));
    assert.equal(afterBroken.result, 'success');
    assert.match(afterBroken.log, /planned-with first/);
    assert.doesNotMatch(afterBroken.log, /planned-with second/);
    assert.deepEqual(await reloads(store), [], 'a refused reload records nothing');

    // A job running across the reload finishes with the command it was planned with.
    const runningRun = await submit(url, 'bbbb', 'sleep 8');
    await until('the long job running', served, async () => ((await store.listJobs(runningRun))[0]?.state === 'running' ? true : undefined));
    const good = configWith('second');
    writeFileSync(join(dir, 'sluice.yaml'), good);
    served.child.kill('SIGHUP');
    await until('the reload', served, () => (/reloaded sluice\.yaml \(signal/.test(served.stderr()) ? true : undefined));
    const next = await finishedLog(store, served, await submit(url, 'cccc', 'after a good reload'));
    assert.match(next.log, /planned-with second/);
    assert.match(await startedBy(store, next.runId), /\/2(#\d+)?$/, 'the engine built from the new file claimed it');
    const nextRun = await store.getRun(next.runId);
    assert.equal(nextRun?.pipeline === 'phase1' ? nextRun.inputs.configHash : undefined, sha256(good), 'the run records the configuration that planned it');
    const across = await finishedLog(store, served, runningRun);
    assert.equal(across.result, 'success', 'the replaced engine drained its job rather than dropping it');
    assert.equal(across.attempt, 1);
    assert.match(across.log, /planned-with first/);
    assert.match(await startedBy(store, runningRun), /:\d+(#\d+)?$/, 'the first engine ran it to its end');

    const recorded = await reloads(store);
    assert.equal(recorded.length, 1);
    assert.deepEqual(recorded[0], { file: 'sluice.yaml', hash: sha256(good), previousHash: sha256(configWith('first')), changed: ['pipelines'], needsRestart: [], via: 'signal', worker: recorded[0]?.worker });
    assert.ok((across.finishedAt ?? 0) > (await reloadAt(store)), 'the long job was still running when the reload was applied');

    served.child.kill('SIGTERM');
    await new Promise((r) => served.child.once('exit', r));
    assert.equal(served.child.exitCode, 0, served.stderr());
  });

  it('through POST /api/admin/reload: refused without a token, answers a broken file with its positions, applies a good one and streams its event', async (t) => {
    const { dir, configWith, served, url, store } = await servedSite(t);
    const reload = (token?: string) => fetch(`${url}/api/admin/reload`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

    writeFileSync(join(dir, 'sluice.yaml'), configWith('second'));
    const anonymous = await reload();
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'E_TOKEN_MISSING');
    const wrong = await reload('not-the-token');
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'E_TOKEN_INVALID');
    const untouched = await finishedLog(store, served, await submit(url, 'aaaa', 'after refused calls'));
    assert.match(untouched.log, /planned-with first/, 'a refused call reloads nothing');

    const broken = configWith('third', (x) => x.replace('providers: { local: { type: local, capacity: 3 } }', 'providers: { local: { type: local, capacity: -1 } }'));
    writeFileSync(join(dir, 'sluice.yaml'), broken);
    const refused = await reload(TOKEN);
    assert.equal(refused.status, 422);
    const error = ((await refused.json()) as { error: { code: string; message: string; details: { path: string; message: string }[] } }).error;
    assert.equal(error.code, 'E_CONFIG_RELOAD_REFUSED');
    assert.match(error.details[0]?.path ?? '', new RegExp(`^sluice\\.yaml:${lineOf(broken, 'capacity: -1')}:\\d+ providers\\.local\\.capacity$`));
    assert.match(served.stderr(), /reload refused \(api\)/);

    // The event stream shows the reload as it is recorded.
    const events = await fetch(`${url}/api/events`);
    const reader = events.body!.getReader();
    let streamed = '';
    const sawReload = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        streamed += Buffer.from(value).toString();
        if (streamed.includes('event: config.reloaded')) return true;
      }
    })();

    // The store is named another way: the key changed, and only a restart would apply it.
    const good = configWith('fourth', (x) => x.replace('capacity: 3', 'capacity: 2').replace('store: sqlite:.sluice/sluice.db', 'store: sqlite:./.sluice/sluice.db') + 'schedules: { phase2: "0 3 * * *" }\n');
    writeFileSync(join(dir, 'sluice.yaml'), good);
    const ok = await reload(TOKEN);
    const answer = await ok.json() as Record<string, unknown>;
    assert.equal(ok.status, 200, JSON.stringify(answer));
    assert.deepEqual(answer, { outcome: 'reloaded', file: 'sluice.yaml', hash: sha256(good), previousHash: sha256(configWith('first')), changed: ['pipelines', 'providers', 'schedules', 'store'], needsRestart: ['store'] });
    assert.match(served.stderr(), /store changed too, which takes effect only at the next restart/);
    const again = await reload(TOKEN);
    assert.equal(((await again.json()) as { outcome: string }).outcome, 'unchanged');

    // The timer must not hold the test process once the event came.
    const giveUp = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), PATIENCE_MS).unref());
    assert.equal(await Promise.race([sawReload, giveUp]), true, `no config.reloaded event streamed:\n${streamed}`);
    await reader.cancel();
    assert.match(streamed, new RegExp(`"hash":"${sha256(good)}"`));

    const after = await finishedLog(store, served, await submit(url, 'bbbb', 'after the API reload'));
    assert.match(after.log, /planned-with fourth/);
    assert.match(await startedBy(store, after.runId), /\/2(#\d+)?$/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^sluice_node_capacity\{provider="local"\} 2$/m, 'the capacity shown is the new one');
    // The restarted scheduler armed the new schedule.
    const armed = await store.listEvents({ runId: 'schedule:phase2', limit: 10 });
    assert.deepEqual(armed.map((e) => e.kind), ['schedule.armed']);

    served.child.kill('SIGTERM');
    await new Promise((r) => served.child.once('exit', r));
    assert.equal(served.child.exitCode, 0, served.stderr());
  });
});

async function reloads(store: Store): Promise<Record<string, unknown>[]> {
  return (await store.listEvents({ runId: 'config:reload', limit: 100 })).flatMap((e) => (e.kind === 'config.reloaded' ? [{ ...e.payload }] : []));
}

async function reloadAt(store: Store): Promise<number> {
  const [event] = await store.listEvents({ runId: 'config:reload', limit: 1 });
  assert.ok(event);
  return event.at;
}

/** The worker that started the run's (single) job: `host:pid`, and `/2` after the first reload. */
async function startedBy(store: Store, runId: string): Promise<string> {
  const started = (await store.listEvents({ runId, limit: 100 })).flatMap((e) => (e.kind === 'job.started' ? [e.payload.worker] : []));
  assert.equal(started.length, 1, `one start of run ${runId}'s job`);
  return started[0] ?? '';
}
