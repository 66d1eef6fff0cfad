import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmdirSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { sha256File } from '../../src/drivers/rpm/repository.js';
import { buildRpm } from '../../src/drivers/rpm/build-rpm.js';
import { newRunId } from '../../src/engine/hash.js';
import { submitPhase1 } from '../../src/pipelines/phase1/submit.js';
import { openStore, type Store } from '../../src/store/index.js';
import { exited, gitFolder, seededRandom, seedFrom, serve, sleep } from '../helpers/fault-serve.js';
import { faultyProvider, type FaultyProvider } from '../helpers/fault-provider.js';
import { faultEngine, faultUpdate, makeFaultSite, type FaultSite } from '../helpers/fault-site.js';
import { startKojiStandin, type KojiStandin, type StandinBuild } from '../helpers/koji-standin.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { requireRpmTools } from '../helpers/rpm.js';
import { forEachStore } from '../helpers/store-matrix.js';

/**
 * Faults (issue 10): providers failing 20% of node requests, a source failing 20% of
 * downloads, the store's disk full. No false failure, clear errors, recovery once the
 * fault clears. Seeds are fixed and printed; SLUICE_FAULTS_SEED replays another.
 */

const SEED = seedFrom('SLUICE_FAULTS_SEED', 20_150_415);
const BOTH = ['epel-7', 'fedora-22'] as const;

async function submit(site: FaultSite, store: Store, id: string, text: string): Promise<string> {
  const now = Date.now();
  const r = await submitPhase1({
    store, config: site.config, configHash: 'faults', file: `updates/${id}.yml`, bytes: new TextEncoder().encode(text),
    author: { name: `Packager ${id}`, email: `${id}@example.org` }, now, runId: newRunId(now),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.runId;
}

const nova = (dist: 'epel-7' | 'fedora-22') => ({ id: `openstack-nova-2015.1.2-1.${dist === 'epel-7' ? 'el7' : 'fc22'}`, dist });

forEachStore('provider faults: 20% of node requests fail as infra; every run gets its right verdict, retries visible, nobody blamed', async ({ store }, t) => {
  const site = await makeFaultSite(tempDir(t), { retries: 10, capacity: 3 });
  let provider: FaultyProvider | undefined;
  const engine = faultEngine(site, store, { wrap: (local) => (provider = faultyProvider(local, { rate: 0.2, random: seededRandom(SEED) })) });
  const expected = new Map<string, { id: string; red: boolean }>();
  for (let i = 0; i < 30; i++) {
    const id = `p${String(i).padStart(3, '0')}`;
    const red = i % 5 === 0;
    expected.set(await submit(site, store, id, faultUpdate(`${red ? 'fail on kilo/fedora-22, ' : ''}sleep 0.1`, BOTH.map(nova))), { id, red });
  }
  const started = Date.now();
  engine.start();
  try {
    for (const runId of expected.keys()) await engine.waitForRun(runId);
  } finally {
    await engine.stop();
  }
  const injected = provider?.injected ?? [];
  t.diagnostic(`seed ${SEED}: ${injected.length} of ${provider?.requests} node requests failed on purpose ` +
    `(${injected.filter((f) => f.how === 'threw').length} threw), ${((Date.now() - started) / 1000).toFixed(1)} s for 30 runs`);
  assert.ok(injected.length >= 5, `faults were injected: ${injected.length}`);

  let extraAttempts = 0;
  for (const [runId, { id, red }] of expected) {
    const run = await store.getRun(runId);
    assert.equal(run?.verdict, red ? 'fail' : 'pass', `verdict of ${id}: ${run?.reason}`);
    for (const job of await store.listJobs(runId)) {
      const blamed = red && job.target === 'kilo/fedora-22';
      assert.equal(job.result, blamed ? 'failure' : 'success', `${id} on ${job.target}: ${job.reason}`);
      const faults = injected.filter((f) => f.jobId === job.id);
      // Each fault cost exactly one attempt, made visible as the job's attempt count.
      assert.equal(job.attempt, faults.length + 1, `attempts of ${id} on ${job.target}`);
      extraAttempts += job.attempt - 1;
    }
  }
  const retried = (await store.listEvents({ limit: 100_000 })).filter((e) => e.kind === 'job.retried');
  assert.equal(retried.length, injected.length, 'one job.retried event per fault');
  assert.equal(extraAttempts, injected.length);
  assert.deepEqual(gitFolder(site.repoPath, 'updates'), [...expected.values()].filter((u) => !u.red).map((u) => u.id), 'the green updates merged, the red ones not');
}, { timeoutMs: 180_000 });

forEachStore('provider faults beyond the retries: the run ends error (infra), never failure, even for an update that would fail', async ({ store }, t) => {
  const site = await makeFaultSite(tempDir(t), { retries: 2 });
  let provider: FaultyProvider | undefined;
  const engine = faultEngine(site, store, { wrap: (local) => (provider = faultyProvider(local, { rate: 1, random: seededRandom(SEED) })) });
  const green = await submit(site, store, 'green', faultUpdate('sleep 0.1', BOTH.map(nova)));
  const red = await submit(site, store, 'red', faultUpdate('fail on kilo/epel-7', BOTH.map(nova)));
  engine.start();
  try {
    await engine.waitForRun(green);
    await engine.waitForRun(red);
  } finally {
    await engine.stop();
  }
  for (const runId of [green, red]) {
    const run = await store.getRun(runId);
    assert.equal(run?.verdict, 'error', `${run?.updateId}: ${run?.reason}`);
    for (const job of await store.listJobs(runId)) {
      assert.equal(job.result, 'infra', `${run?.updateId} on ${job.target}`);
      assert.equal(job.attempt, 3, 'three attempts: the first and two retries');
      assert.match(job.reason ?? '', /fault injected/, 'the reason is the provider\'s');
    }
  }
  t.diagnostic(`${provider?.requests} node requests, all refused`);
  assert.deepEqual(gitFolder(site.repoPath, 'updates'), [], 'nothing merged');
});

/** Builds the stand-in serves: `count` updates × two dists, every one the same real RPM under its own name. */
function kojiBuilds(rpm: string, count: number): StandinBuild[] {
  const builds: StandinBuild[] = [];
  for (let i = 0; i < count; i++) {
    for (const [k, dist] of ['el7', 'fc22'].entries()) {
      const release = `1.${dist}`;
      builds.push({ id: 1000 + i * 2 + k, name: `python-f${i}`, version: '1.0', release, state: 1, rpms: [{ name: `python-f${i}`, version: '1.0', release, arch: 'noarch', file: rpm }] });
    }
  }
  return builds;
}

/** A Koji stand-in serving `builds` builds of one real RPM, failing downloads at `rate` (seeded). */
async function faultyKoji(t: TestContext, builds: number, rate: number): Promise<{ koji: KojiStandin; rpm: string }> {
  const dir = tempDir(t);
  const [rpm] = buildRpm(join(dir, 'rpmbuild'), join(dir, 'rpms'), { name: 'python-fault', version: '1.0', release: '1' });
  const koji = await startKojiStandin({ builds: kojiBuilds(rpm as string, builds) });
  t.after(() => koji.close());
  koji.downloadFaults = { rate, random: seededRandom(SEED) };
  return { koji, rpm: rpm as string };
}

async function kojiSite(t: TestContext, koji: KojiStandin, retries: number): Promise<FaultSite> {
  return makeFaultSite(tempDir(t), { retries, fetchBuilds: true, sources: `{ koji: { type: koji, hub: "${koji.hub}", topurl: "${koji.topurl}" } }` });
}

forEachStore('source faults: 20% of downloads fail (503, reset, truncated); retried, nobody blamed, every checksum the real one', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const { koji, rpm } = await faultyKoji(t, 12, 0.2);
  const site = await kojiSite(t, koji, 10);
  const engine = faultEngine(site, store, { leaseMs: 10_000 });
  const expected = new Map<string, { id: string; red: boolean }>();
  for (let i = 0; i < 12; i++) {
    const id = `f${String(i).padStart(3, '0')}`;
    const red = i % 4 === 1;
    const text = faultUpdate(red ? 'fail on kilo/fedora-22' : 'green', [{ id: `python-f${i}-1.0-1.el7`, dist: 'epel-7' }, { id: `python-f${i}-1.0-1.fc22`, dist: 'fedora-22' }]);
    expected.set(await submit(site, store, id, text), { id, red });
  }
  const started = Date.now();
  engine.start();
  try {
    for (const runId of expected.keys()) await engine.waitForRun(runId);
  } finally {
    await engine.stop();
  }
  const kinds = ['http503', 'reset', 'truncated'].map((k) => `${koji.faulted.filter((f) => f.kind === k).length} ${k}`).join(', ');
  const jobs = (await Promise.all([...expected.keys()].map((r) => store.listJobs(r)))).flat();
  t.diagnostic(`seed ${SEED}: ${koji.faulted.length} of ${koji.downloads.length} downloads failed on purpose (${kinds}); ` +
    `${jobs.filter((j) => j.attempt > 1).length} jobs needed another attempt; ${((Date.now() - started) / 1000).toFixed(1)} s for 12 runs`);
  assert.ok(koji.faulted.length >= 2, `faults were injected: ${koji.faulted.length}`);

  for (const [runId, { id, red }] of expected) {
    const run = await store.getRun(runId);
    assert.equal(run?.verdict, red ? 'fail' : 'pass', `verdict of ${id}: ${run?.reason}`);
    for (const job of await store.listJobs(runId)) {
      const blamed = red && job.target === 'kilo/fedora-22';
      assert.equal(job.result, blamed ? 'failure' : 'success', `${id} on ${job.target}: ${job.reason}`);
      if (blamed) assert.doesNotMatch(job.reason ?? '', /download|koji|127\.0\.0\.1/, 'a red update fails for its test, not for the source');
    }
  }
  // Every faulted URL was fetched again, and the bytes kept are the real file's, never a truncated body.
  for (const f of koji.faulted) assert.ok(koji.downloads.filter((d) => d === f.path).length >= 2, `${f.path} was fetched again after ${f.kind}`);
  const real = await sha256File(rpm);
  for (let i = 0; i < 12; i++) {
    for (const dist of ['el7', 'fc22']) {
      const recorded = await store.listRpms(`python-f${i}-1.0-1.${dist}`);
      assert.ok(recorded.length > 0, `python-f${i} (${dist}) was recorded`);
      for (const r of recorded) assert.equal(r.sha256, real, `the checksum recorded for ${r.fileName}`);
    }
  }
}, { timeoutMs: 240_000 });

forEachStore('source faults on every download: the run ends error, and the reason names the source\'s URL', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const { koji } = await faultyKoji(t, 1, 1);
  const site = await kojiSite(t, koji, 1);
  const engine = faultEngine(site, store, { leaseMs: 10_000 });
  const runId = await submit(site, store, 'down', faultUpdate('fail on kilo/epel-7', [{ id: 'python-f0-1.0-1.el7', dist: 'epel-7' }]));
  engine.start();
  try {
    await engine.waitForRun(runId);
  } finally {
    await engine.stop();
  }
  const run = await store.getRun(runId);
  assert.equal(run?.verdict, 'error', `the update is not blamed: ${run?.reason}`);
  const [job] = await store.listJobs(runId);
  assert.equal(job?.result, 'infra');
  assert.equal(job?.attempt, 2);
  const url = `${koji.topurl}/packages/python-f0/1.0/1.el7/noarch/python-f0-1.0-1.el7.noarch.rpm`;
  assert.ok(job?.reason?.startsWith('fetching python-f0-1.0-1.el7 from source koji: '), `the reason names the build and the source: ${job?.reason}`);
  assert.ok(job?.reason?.includes(url), `and the URL: ${job?.reason}`);
  assert.match(job?.reason ?? '', /after 3 attempts/, 'and says the download was tried again');
  t.diagnostic(`reason: ${job?.reason}`);
}, { timeoutMs: 120_000 });

const run = promisify(execFile);

/** The CLI as a real process in the site: exit status and both outputs. */
async function sluice(site: FaultSite, storeUrl: string, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args], { cwd: site.dir, env: { ...process.env, SLUICE_STORE: storeUrl } });
    return { status: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const underCi = (): boolean => !['', '0', 'false'].includes((process.env.CI ?? '').trim().toLowerCase());

/** A small tmpfs of its own, unmounted by `undo` (even when the test fails); undefined when this user cannot mount. */
function smallFileSystem(t: TestContext, sizeKiB: number, undo: (() => unknown)[]): string | undefined {
  if (process.getuid?.() !== 0) {
    if (underCi()) throw new Error('the disk-full test mounts a tmpfs and needs root (CI is set: it must run)');
    t.skip('the disk-full test mounts a tmpfs: run it as root (CI runs it so)');
    return undefined;
  }
  const mountPoint = mkdtempSync(join(tmpdir(), 'sluice-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0755`, 'sluice-full', mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmdirSync(mountPoint);
    const why = `cannot mount a tmpfs (${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()})`;
    if (underCi()) throw new Error(`${why}: CI is set, the disk-full test must run`);
    t.skip(`${why}: the disk-full test needs a tmpfs`);
    return undefined;
  }
  undo.push(() => {
    try {
      execFileSync('umount', [mountPoint], { stdio: 'ignore' });
    } catch {
      // Something still holds a file there: detach it now, the kernel frees it later.
      execFileSync('umount', ['-l', mountPoint]);
    }
    rmdirSync(mountPoint);
  });
  return mountPoint;
}

/** Writes zeros until the file system has no byte left. */
function fill(path: string): number {
  const chunk = Buffer.alloc(64 * 1024);
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return written;
        throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

test('store disk full: clear E_STORE errors naming the store and the cause, nothing half-written, and serve recovers once space is freed', { timeout: 180_000 }, async (t) => {
  // Cleaned up last registered first: serve and the store go before the file system they use.
  const undo: (() => unknown)[] = [];
  t.after(async () => { for (const step of undo.reverse()) await step(); });
  // Room for the WAL to grow to its checkpoint size (about 4 MiB) once space is freed.
  const mount = smallFileSystem(t, 8192, undo);
  if (!mount) return;
  const dbPath = join(mount, 'sluice.db');
  const url = `sqlite:${dbPath}`;
  const site = await makeFaultSite(tempDir(t), { store: url, lease: '2s' });
  const write = (name: string, notes: string) => { writeFileSync(join(site.dir, name), faultUpdate(notes, [nova('epel-7')])); return name; };

  // A store in use: one update merged, and one running when the disk fills.
  const first = await sluice(site, url, 'submit', write('first.yml', 'green'));
  assert.equal(first.status, 0, first.stderr);
  const served = serve(site.dir, url);
  undo.push(async () => { served.process.kill('SIGKILL'); await exited(served.process); });
  await served.working;
  const store = await openStore(url);
  undo.push(() => store.close());
  const during = await sluice(site, url, 'submit', '--detach', write('during.yml', 'sleep 3'));
  assert.equal(during.status, 0, during.stderr);
  const duringRun = during.stdout.trim();
  const deadline = Date.now() + 60_000;
  while ((await store.listJobs(duringRun))[0]?.state !== 'running' && Date.now() < deadline) await sleep(100);

  const filler = join(mount, 'filler');
  const filled = fill(filler);
  t.diagnostic(`${filled} bytes of filler: the file system is full`);
  const refused = await sluice(site, url, 'submit', '--detach', write('refused.yml', 'green'));
  t.diagnostic(`submit on a full disk: exit ${refused.status}: ${refused.stderr.trim()}`);
  assert.equal(refused.status, 3, 'exit 3: an error, not a failed update');
  assert.match(refused.stderr, /^sluice: the store sqlite:\S*sluice\.db cannot be written: no space left on the device/m, 'names the store and the cause');
  assert.match(refused.stderr, /SQLITE_(FULL|IOERR)/, 'and SQLite\'s code');
  assert.doesNotMatch(refused.stderr, /internal error|\n\s+at /, 'no stack trace');
  // Its job finishes while the disk is full: the result cannot be written, the job is not failed for it.
  await sleep(4000);
  assert.equal(served.process.exitCode, null, `serve is still running:\n${served.stderr()}`);

  // Nothing half-written: the database is sound, no run lacks its jobs, the refused update left no run.
  const db = new Database(dbPath, { readonly: true });
  try {
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    assert.deepEqual(db.prepare(`select id from runs r where pipeline = 'phase1' and not exists (select 1 from jobs j where j.run_id = r.id)`).all(), [], 'every run has its jobs');
    assert.deepEqual(db.prepare(`select id from runs where update_id = 'refused'`).all(), [], 'the refused update has no run');
  } finally {
    db.close();
  }

  // Space again: the running update's job is taken up again and passes; the refused one goes through.
  unlinkSync(filler);
  const again = await sluice(site, url, 'submit', '--detach', 'refused.yml');
  assert.equal(again.status, 0, again.stderr);
  const againRun = again.stdout.trim();
  const until = Date.now() + 90_000;
  const reported = async (id: string) => { const r = await store.getRun(id); return r?.state === 'finished' && r.reportedAt !== null; };
  while (!((await reported(duringRun)) && (await reported(againRun))) && Date.now() < until) await sleep(200);
  for (const id of [duringRun, againRun]) {
    const r = await store.getRun(id);
    assert.equal(r?.verdict, 'pass', `${r?.updateId}: ${r?.reason} ${JSON.stringify(await store.listJobs(id))}\n${served.stderr()}`);
    for (const job of await store.listJobs(id)) assert.equal(job.result, 'success', `${r?.updateId} on ${job.target}: ${job.reason}`);
  }
  const duringJob = (await store.listJobs(duringRun))[0];
  t.diagnostic(`the job running when the disk filled ended success after ${duringJob?.attempt} attempt(s)`);
  assert.deepEqual(gitFolder(site.repoPath, 'updates'), ['during', 'first', 'refused']);
  served.process.kill('SIGTERM');
  await exited(served.process);
  assert.equal(served.process.exitCode, 0, served.stderr());
  assert.doesNotMatch(served.stderr(), /internal error/, 'serve never crashed');
  assert.equal(readFileSync(join(site.repoPath, 'updates', 'refused.yml'), 'utf8'), faultUpdate('green', [nova('epel-7')]));
});
