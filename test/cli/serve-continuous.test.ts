import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { newRunId } from '../../src/engine/hash.js';
import { submitPhase1 } from '../../src/pipelines/phase1/submit.js';
import { openStore, type Run, type Store } from '../../src/store/index.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { postgres, stopPostgres } from '../helpers/postgres.js';
import { makePhase2Site, type Phase2Site } from '../helpers/phase2-site.js';
import { buildRpm, requireRpmTools } from '../helpers/rpm.js';

after(stopPostgres);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the update's package and submits it to phase1, as `sluice submit --detach` would. */
async function submitUpdate(site: Phase2Site, store: Store, id: string): Promise<void> {
  const nvr = `python-${id}-1.0-1.el7`;
  buildRpm(join(site.dir, 'rpmbuild'), join(site.dir, 'builds', nvr), { name: `python-${id}`, version: '1.0', release: '1.el7' });
  const now = Date.now();
  const r = await submitPhase1({
    store, config: site.config, configHash: 'test', file: `updates/${id}.yml`,
    bytes: new TextEncoder().encode(`notes: update ${id}\nbuilds:\n  - id: ${nvr}\n    repo: kilo\n    dist: el7\n`),
    author: { name: `Packager ${id}`, email: `${id}@example.org` }, now, runId: newRunId(now),
  });
  assert.ok(r.ok, JSON.stringify(r));
}

/**
 * Never two unfinished runs of a pipeline, in the order the store committed them (events'
 * sequence): a run's `createdAt` is the time its start was asked for, before it read the
 * repository, so timestamps alone may cross by that much.
 */
async function assertOneAtATime(store: Store, runs: readonly Run[], pipeline: string): Promise<number> {
  const ofPipeline = new Set(runs.filter((r) => r.pipeline === pipeline).map((r) => r.id));
  let open = 0;
  for (const e of await store.listEvents({ limit: 100_000 })) {
    if (e.runId === null || !ofPipeline.has(e.runId)) continue;
    if (e.kind === 'run.created') open++;
    if (e.kind === 'run.finished') open--;
    assert.ok(open <= 1, `two ${pipeline} runs unfinished at once (event ${e.seq})`);
  }
  return ofPipeline.size;
}

async function waitFor(what: () => boolean, ms: number, why: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !what()) await sleep(200);
  assert.ok(what(), why());
}

test('ladder: continuous: sluice serve takes updates from phase1 through phase2 and promote to production with no schedule', async (t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  writeFileSync(join(site.dir, 'sluice.yaml'), `${readFileSync(join(site.dir, 'sluice.yaml'), 'utf8')}ladder: continuous\n`);
  mkdirSync(join(site.dir, '.sluice'), { recursive: true });
  const store = await openStore(`sqlite:${join(site.dir, '.sluice', 'sluice.db')}`);
  const serve = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', 'off'], { cwd: site.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  serve.stderr.on('data', (d) => { stderr += String(d); });
  t.after(() => { if (serve.exitCode === null) serve.kill('SIGKILL'); });
  const pushed = (id: string) => existsSync(join(site.repoPath, 'pushed', `${id}.yml`));
  try {
    await waitFor(() => /continuous ladder: phase2 and promote start as soon as/.test(stderr), 30_000, () => `serve did not start its continuous ladder:\n${stderr}`);
    // One update alone, then two at once: the second pair goes through one phase2.
    await submitUpdate(site, store, 'aaaa');
    await waitFor(() => pushed('aaaa'), 90_000, () => `aaaa not in production:\n${stderr}`);
    await submitUpdate(site, store, 'bbbb');
    await submitUpdate(site, store, 'cccc');
    await waitFor(() => pushed('bbbb') && pushed('cccc'), 90_000, () => `bbbb, cccc not in production:\n${stderr}`);
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
  }
  try {
    const runs = await store.listRuns({ limit: 100 });
    const of = (p: string) => runs.filter((r) => r.pipeline === p).sort((a, b) => a.createdAt - b.createdAt);
    // Started by the ladder, not by a schedule: none is configured, none fired.
    assert.equal((await store.listEvents({ limit: 10_000 })).filter((e) => e.kind === 'schedule.fired').length, 0);
    assert.match(stderr, /continuous ladder: started phase2 run r\S+ for aaaa/);
    for (const p of ['phase2', 'promote']) {
      const rs = of(p);
      assert.ok(rs.length >= 2, `${p}: ${rs.length} runs`);
      assert.ok(rs.every((r) => r.state === 'finished' && r.verdict === 'pass'), `${p}: ${JSON.stringify(rs.map((r) => [r.state, r.verdict]))}`);
      await assertOneAtATime(store, runs, p);
    }
    // Each update reached production exactly once.
    const log = execFileSync('git', ['log', '--format=%s'], { cwd: site.repoPath, encoding: 'utf8' }).split('\n');
    for (const id of ['aaaa', 'bbbb', 'cccc']) assert.equal(log.filter((s) => s === `Push ready/${id}`).length, 1, log.join('\n'));
  } finally {
    await store.close();
  }
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`ladder: continuous survives SIGKILL of serve while updates flow: every update reaches production exactly once [${dialect}]`, { timeout: 300_000 }, async (t) => {
    if (!requireRpmTools(t)) return;
    await chaos(t, dialect);
  });
}

async function chaos(t: TestContext, dialect: 'sqlite' | 'postgres'): Promise<void> {
  let url = '';
  if (dialect === 'postgres') {
    const pg = await postgres();
    if (!pg.ok) { t.skip(pg.reason); return; }
    url = await pg.server.createDatabase();
  }
  const site = await makePhase2Site(tempDir(t));
  // A short leader lease: the next serve takes over a killed one within seconds.
  writeFileSync(join(site.dir, 'sluice.yaml'), `${readFileSync(join(site.dir, 'sluice.yaml'), 'utf8').replace('retry_backoff: 50ms', 'retry_backoff: 50ms, leader_lease: 2s, leader_renew: 300ms')}ladder: continuous\n`);
  mkdirSync(join(site.dir, '.sluice'), { recursive: true });
  if (url === '') url = `sqlite:${join(site.dir, '.sluice', 'sluice.db')}`;
  const store = await openStore(url);
  let stderr = '';
  const serves: ReturnType<typeof spawn>[] = [];
  const startServe = () => {
    const serve = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', 'off'], { cwd: site.dir, env: { ...process.env, SLUICE_STORE: url }, stdio: ['ignore', 'ignore', 'pipe'] });
    serve.stderr?.on('data', (d) => { stderr += String(d); });
    serves.push(serve);
    return serve;
  };
  t.after(() => { for (const s of serves) if (s.exitCode === null) s.kill('SIGKILL'); });
  const killWhile = async (serve: ReturnType<typeof spawn>, pipeline: 'phase2' | 'promote'): Promise<boolean> => {
    const deadline = Date.now() + 60_000;
    let caught = false;
    while (Date.now() < deadline && !(caught = (await store.activeRunOf(pipeline)) !== undefined)) await sleep(50);
    serve.kill('SIGKILL');
    await new Promise((r) => serve.once('exit', r));
    return caught;
  };
  const pushed = (id: string) => existsSync(join(site.repoPath, 'pushed', `${id}.yml`));
  const ids = ['aaaa', 'bbbb', 'cccc', 'dddd'];
  const killed: string[] = [];
  try {
    await submitUpdate(site, store, 'aaaa');
    await submitUpdate(site, store, 'bbbb');
    if (await killWhile(startServe(), 'phase2')) killed.push('phase2');
    await submitUpdate(site, store, 'cccc');
    if (await killWhile(startServe(), 'promote')) killed.push('promote');
    await submitUpdate(site, store, 'dddd');
    const last = startServe();
    await waitFor(() => ids.every(pushed), 150_000, () => `not all in production (${ids.filter((id) => !pushed(id)).join(', ')} missing):\n${stderr}`);
    last.kill('SIGTERM');
    await new Promise((r) => last.once('exit', r));
    // The kills landed while a run was going, which is the point.
    assert.deepEqual(killed, ['phase2', 'promote'], stderr);
    const log = execFileSync('git', ['log', '--format=%s'], { cwd: site.repoPath, encoding: 'utf8' }).split('\n');
    for (const id of ids) {
      assert.equal(log.filter((l) => l === `Push ready/${id}`).length, 1, `${id}:\n${log.join('\n')}`);
      assert.equal(log.filter((l) => l === `Move ${id} to ready/`).length, 1, `${id}:\n${log.join('\n')}`);
    }
    const runs = await store.listRuns({ limit: 200 });
    assert.deepEqual(runs.filter((r) => r.state !== 'finished').map((r) => `${r.pipeline} ${r.id}`), [], 'nothing left half done');
    for (const p of ['phase2', 'promote']) assert.ok((await assertOneAtATime(store, runs, p)) >= 2, p);
  } finally {
    await store.close();
  }
}
