import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import type { NodeProvider } from '../../src/engine/node-provider.js';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { explainLines } from '../../src/cli/explain.js';
import { matrixLines } from '../../src/cli/render-run.js';
import { jobView } from '../../src/web/views.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, siteEngine, submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { phase1Run } from '../helpers/run-records.js';
import { claimAs } from '../helpers/claim.js';

const gitLog = (repo: string) => execFileSync('git', ['-C', repo, 'log', '--format=%s|%an|%b'], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '');

forEachStore('phase1 runs every target in parallel, collates, merges only passing updates', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  const good = await submit(site, store, 'good', 'all green', ['kilo/epel-7', 'kilo/fedora-22']);
  const bad = await submit(site, store, 'badf', 'fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']);
  await store.disableTarget({ target: 'liberty/epel-7', reason: 'repo not composed', by: 'ops', now: Date.now() });
  const held = await submit(site, store, 'held', 'nothing to run', ['liberty/epel-7']);
  const engine = siteEngine(site, store);
  engine.start();
  const verdicts = [];
  for (const id of [good, bad, held]) verdicts.push((await engine.waitForRun(id)).verdict);
  await engine.stop();
  assert.deepEqual(verdicts, ['pass', 'fail', 'held']);
  const badJobs = await store.listJobs(bad);
  const f22 = badJobs.find((j) => j.target === 'kilo/fedora-22')!;
  assert.deepEqual([f22.result, f22.reason], ['failure', 'the test command exited with status 1']);
  assert.match(readFileSync(f22.logPath!, 'utf8'), /^update=badf target=kilo\/fedora-22 mode=image builds=openstack-nova-2015.1.2-1.fc22 repo=none$/m);
  assert.match(readFileSync(f22.logPath!, 'utf8'), /Error: Package: broken on kilo\/fedora-22/);
  assert.equal((await store.listJobs(held))[0]!.skipReason, 'repo not composed (disabled by ops since ' + new Date((await store.getTargetState('liberty/epel-7', Date.now()) as { disabledAt: number }).disabledAt).toISOString() + ')');
  const log = gitLog(site.repoPath);
  assert.deepEqual(log.filter((l) => l.startsWith('New ')), [`New good|Packager|Sluice-Run: ${good}`]);
  const starts = (await store.listEvents({ runId: good })).filter((e) => e.kind === 'job.started');
  assert.equal(starts.length, 2, 'each job ran once');
});

forEachStore('a provider failing 20% of node requests fails no update', async ({ store }, t) => {
  const site = await makeSite(tempDir(t), { retries: 6, capacity: 4 });
  const local = localProvider({ name: 'local', capacity: 4, workDir: join(site.dir, 'work'), configDir: site.dir });
  let seed = 7;
  let refused = 0;
  const flaky: NodeProvider = {
    name: 'local', capacity: 4,
    async execute(ex) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      if (seed / 2 ** 31 < 0.2) { refused++; return { result: 'infra', reason: 'no node: quota exceeded', node: 'none', logPath: null }; }
      return local.execute(ex);
    },
  };
  const runs = [];
  for (let i = 0; i < 10; i++) runs.push(await submit(site, store, `u${i}`, 'green', ['kilo/epel-7', 'kilo/fedora-22']));
  const engine = siteEngine(site, store, { providers: [flaky] });
  engine.start();
  const verdicts = [];
  for (const id of runs) verdicts.push((await engine.waitForRun(id)).verdict);
  await engine.stop();
  assert.ok(refused > 0, 'the provider did refuse some nodes');
  assert.deepEqual(verdicts, runs.map(() => 'pass'));
  const retried = (await store.listEvents({ limit: 10_000 })).filter((e) => e.kind === 'job.retried').length;
  assert.equal(retried, refused, 'every refused node was retried');
}, { timeoutMs: 180_000 });

forEachStore('a test that never ends times out, a flood is stopped, and the engine keeps serving others', async ({ store }, t) => {
  const site = await makeSite(tempDir(t), { timeout: '1s', capacity: 3 });
  const stuck = await submit(site, store, 'stck', 'sleep 60', ['kilo/epel-7']);
  const flood = await submit(site, store, 'fld1', 'flood', ['kilo/epel-7']);
  const fine = await submit(site, store, 'fine', 'green', ['kilo/epel-7']);
  const engine = siteEngine(site, store, { maxLogBytes: 64 * 1024 });
  engine.start();
  const [a, b, c] = [await engine.waitForRun(stuck), await engine.waitForRun(flood), await engine.waitForRun(fine)];
  await engine.stop();
  assert.deepEqual([a.verdict, b.verdict, c.verdict], ['error', 'fail', 'pass']);
  assert.match((await store.listJobs(stuck))[0]!.reason ?? '', /no result after 1s: the job's processes were killed/);
  assert.match((await store.listJobs(flood))[0]!.reason ?? '', /wrote more than 65536 bytes of output and was stopped/);
});

forEachStore('cancel stops a running job and its processes, and the run ends cancelled', async ({ store }, t) => {
  const site = await makeSite(tempDir(t), { timeout: '1m' });
  const run = await submit(site, store, 'long', 'sleep 60', ['kilo/epel-7', 'kilo/fedora-22']);
  const engine = siteEngine(site, store, { leaseMs: 600 });
  engine.start();
  while ((await store.listJobs(run)).some((j) => j.state !== 'running')) await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  const c = await store.cancelRun({ runId: run, now: Date.now(), reason: 'superseded by patch set 2' });
  assert.ok(c.ok);
  const done = await engine.waitForRun(run);
  await engine.stop();
  assert.equal(done.verdict, 'cancelled');
  assert.ok(Date.now() - started < 10_000, 'stopped within a few heartbeats, not after the test\'s 60 s');
  assert.deepEqual((await store.listJobs(run)).map((j) => j.result), ['cancelled', 'cancelled']);
});

forEachStore('a dead worker\'s job is reclaimed after its lease and run once more; the merge happens once', async ({ store, open }, t) => {
  const site = await makeSite(tempDir(t));
  const run = await submit(site, store, 'orph', 'green', ['kilo/epel-7']);
  const claimed = await claimAs(store, { worker: 'dead-worker', now: Date.now(), leaseMs: 300, kinds: ['phase1/image@local'] });
  assert.ok(claimed.ok, 'the dead worker took the job before dying');
  const other = await open();
  const engine = siteEngine(site, other, { workerId: 'survivor' });
  engine.start();
  const done = await engine.waitForRun(run);
  await engine.stop();
  assert.equal(done.verdict, 'pass');
  const job = (await other.listJobs(run))[0]!;
  assert.equal(job.attempt, 2, 'the dead attempt counts as an attempt');
  assert.equal(job.maxAttempts, claimed.job.maxAttempts + 1, 'but it is given back: the retries stay for broken nodes');
  assert.equal(job.interruptions, 1);
  const events = await other.listEvents({ runId: run });
  assert.ok(events.some((e) => e.kind === 'job.reclaimed'));
  assert.match(explainLines((await other.getRun(run))!, await other.listJobs(run), events).join('\n'), /attempt 1: worker dead-worker stopped answering; the job was reclaimed and the attempt given back \(1 so far\)/);
  assert.match(matrixLines((await other.getRun(run))!, [job]).join('\n'), new RegExp(`kilo/epel-7 +✔ success \\(attempt 2/${job.maxAttempts}, 1 lost to a stopped worker\\)`));
  assert.equal(jobView(job).interruptions, 1, 'the API says why the attempts grew');
  const again = siteEngine(site, other, { workerId: 'restart' });
  again.start();
  await again.reportOwed();
  await again.stop();
  assert.equal(gitLog(site.repoPath).filter((l) => l.startsWith('New orph')).length, 1);
});

forEachStore('a run left unsettled by a crash (every target skipped) is collated by the sweep', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  await store.recordUpdate({ id: 'strd', path: 'updates/strd.yml', contentHash: 'h', data: {}, now: Date.now() });
  // What a crash between writing the run and settling it leaves behind.
  await store.insertRunWithJobs({ run: { id: 'rstranded', ...phase1Run('strd'), updateId: 'strd' }, jobs: [{ id: 'rstranded.a', target: 'liberty/epel-7', kind: 'phase1/image@local', maxAttempts: 1, skipReason: 'disabled' }], now: Date.now() });
  assert.deepEqual(await store.listStrandedRunIds(), ['rstranded']);
  const engine = siteEngine(site, store);
  engine.start();
  const run = await engine.waitForRun('rstranded');
  await engine.stop();
  assert.equal(run.verdict, 'held');
  assert.deepEqual(await store.listStrandedRunIds(), []);
});

forEachStore('a named semaphore caps a class of jobs across the provider\'s capacity', async ({ store }, t) => {
  const site = await makeSite(tempDir(t), { capacity: 4 });
  const engine = new (await import('../../src/engine/engine.js')).Engine({
    store, providers: [localProvider({ name: 'local', capacity: 4, workDir: join(site.dir, 'work'), configDir: site.dir })],
    workerId: 'w', leaseMs: 2000, pollMs: 50, sweepEveryMs: 200, semaphores: { 'phase1/provision': 1 },
  });
  // liberty/epel-7 has no image: provisioned. kilo/epel-7 boots its image.
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await submit(site, store, `p${i}`, 'sleep 0.3', ['liberty/epel-7']));
  for (let i = 0; i < 3; i++) runs.push(await submit(site, store, `i${i}`, 'sleep 0.3', ['kilo/epel-7']));
  engine.start();
  for (const id of runs) assert.equal((await engine.waitForRun(id)).verdict, 'pass');
  await engine.stop();
  const events = await store.listEvents({ limit: 10_000 });
  const peak = (kindOf: (jobId: string) => boolean) => {
    let running = 0;
    let max = 0;
    for (const e of events) {
      if (!e.jobId || !kindOf(e.jobId)) continue;
      if (e.kind === 'job.started') max = Math.max(max, ++running);
      if (e.kind === 'job.finished') running--;
    }
    return max;
  };
  assert.equal(peak((id) => id.endsWith('liberty_epel-7')), 1, 'one provisioning job at a time');
  assert.ok(peak((id) => id.endsWith('kilo_epel-7')) >= 2, 'image jobs ran side by side meanwhile');
  assert.deepEqual((await store.listLeases()).filter((l) => l.holder !== null), []);
});

forEachStore('a report that keeps failing leaves the run in the outbox without holding its caller forever', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  const run = await submit(site, store, 'nrep', 'green', ['kilo/epel-7']);
  let tries = 0;
  const engine = new (await import('../../src/engine/engine.js')).Engine({
    store, providers: [localProvider({ name: 'local', capacity: 2, workDir: join(site.dir, 'work'), configDir: site.dir })],
    reporters: [{ report: async () => { tries++; throw new Error('update repository is read-only'); } }],
    workerId: 'w', leaseMs: 2000, pollMs: 50, sweepEveryMs: 100,
  });
  engine.start();
  const done = await engine.waitForRun(run, undefined, undefined, 500);
  await engine.stop();
  assert.deepEqual([done.verdict, done.reportedAt], ['pass', null]);
  assert.ok(tries >= 2, `the report was retried (${tries} tries)`);
  assert.deepEqual((await store.listUnreportedRuns()).map((r) => r.id), [run]);
});

forEachStore('a job\'s preparation can end it before its commands, or hand its command an environment', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  const ok = await submit(site, store, 'prep', 'green', ['kilo/epel-7']);
  const bad = await submit(site, store, 'prpf', 'green', ['kilo/fedora-22']);
  const engine = new (await import('../../src/engine/engine.js')).Engine({
    store, providers: [localProvider({ name: 'local', capacity: 2, workDir: join(site.dir, 'work'), configDir: site.dir })],
    workerId: 'w', leaseMs: 2000, pollMs: 50, sweepEveryMs: 100,
    preparer: {
      async prepare(ex) {
        if (ex.spec.target === 'kilo/fedora-22') return { ok: false, outcome: { result: 'failure', reason: 'installable: nothing provides bar >= 2.0 needed by foo-1.0-1.noarch', node: 'prepare', logPath: null } };
        return { ok: true, env: { SLUICE_UPDATE_REPO: '/srv/repos/abc', SLUICE_TARGET: 'forged' } };
      },
    },
  });
  engine.start();
  const [a, b] = [await engine.waitForRun(ok), await engine.waitForRun(bad)];
  await engine.stop();
  assert.deepEqual([a.verdict, b.verdict], ['pass', 'fail']);
  assert.equal((await store.listJobs(bad))[0]!.reason, 'installable: nothing provides bar >= 2.0 needed by foo-1.0-1.noarch');
  const log = readFileSync((await store.listJobs(ok))[0]!.logPath!, 'utf8');
  assert.match(log, /target=kilo\/epel-7 .* repo=\/srv\/repos\/abc$/m, 'the command sees what was prepared, and a prepared value cannot forge the job\'s own variables');
});

forEachStore('a worker whose nodes are all busy asks the store nothing until one is free, and a phase1 job looks for no controlled run', async ({ store }, t) => {
  const site = await makeSite(tempDir(t), { capacity: 2 });
  const runs = [];
  for (let i = 0; i < 20; i++) runs.push(await submit(site, store, `c${String(i).padStart(3, '0')}`, 'green', ['kilo/epel-7']));
  const asked = { claims: 0, none: 0, controlled: 0 };
  const counted = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'claimJobWithLeases') {
        return async (...args: Parameters<typeof store.claimJobWithLeases>) => {
          asked.claims++;
          const claim = await target.claimJobWithLeases(...args);
          if (!claim.ok && claim.code === 'none') asked.none++;
          return claim;
        };
      }
      if (prop === 'listIdleControlledRuns') asked.controlled++;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const local = localProvider({ name: 'local', capacity: 2, workDir: join(site.dir, 'work'), configDir: site.dir, killGraceMs: 300 });
  // One sweep, at the start: what is counted is what the jobs themselves cause.
  const engine = new Engine({ store: counted, providers: [local], workerId: 'counted', leaseMs: 30_000, pollMs: 60_000, sweepEveryMs: 600_000, retryBackoffMs: 50 });
  engine.start();
  const verdicts = [];
  for (const id of runs) verdicts.push((await engine.waitForRun(id)).verdict);
  await engine.stop();
  assert.deepEqual(verdicts, runs.map(() => 'pass'));
  // Each job is one claim that started it; a claim that finds nothing comes only when a
  // node is free and the queue is empty (a few wake-ups at the end, whatever the number of
  // jobs), never because both nodes are busy (which made two empty claims per job: the
  // finish's and the report's wake-ups).
  t.diagnostic(`20 jobs on 2 nodes: ${asked.claims} claims, ${asked.none} of them empty; ${asked.controlled} scans for controlled runs`);
  assert.ok(asked.none <= 8, `${asked.none} empty claims for 20 jobs on 2 nodes`);
  assert.ok(asked.claims <= 20 + 8, `${asked.claims} claims for 20 jobs`);
  assert.ok(asked.controlled <= 2, `${asked.controlled} scans for controlled runs: only the start's and the first sweep's`);
});

/** An instant node: what is measured is the engine, not a job. */
const instant: NodeProvider = { name: 'local', capacity: 16, execute: async () => ({ result: 'success', reason: 'the tests passed', node: 'instant', logPath: null }) };

/** Resolves when `count` reports are made, or says how many after `ms`. */
function reportsOf(count: number, ms: number): { reporter: { report: () => Promise<void> }; all: Promise<number> } {
  let made = 0;
  let resolve!: (n: number) => void;
  const all = new Promise<number>((r) => { resolve = r; });
  const guard = setTimeout(() => resolve(made), ms);
  return { reporter: { report: async () => { if (++made === count) { clearTimeout(guard); resolve(made); } } }, all };
}

forEachStore('every finished run is reported at once, however its finish meets the outbox, with no poll or sweep to catch a missed one', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  const runs = 300;
  for (let i = 0; i < runs; i++) await submit(site, store, `o${String(i).padStart(3, '0')}`, 'green', ['kilo/epel-7']);
  const { reporter, all } = reportsOf(runs, 40_000);
  // Polls and sweeps ten minutes apart: a finish whose hint the outbox lost (it came while
  // the last pass was ending) would wait for them.
  const engine = new Engine({ store, providers: [instant], reporters: [reporter], workerId: 'outbox', leaseMs: 30_000, pollMs: 600_000, sweepEveryMs: 600_000 });
  engine.start();
  const made = await all;
  await engine.stop();
  assert.equal(made, runs, `${made} of ${runs} runs reported within 40 s`);
  assert.deepEqual(await store.listUnreportedRuns(), []);
});

forEachStore('an outbox of more runs than one page drains in one go at start', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  const runs = 250;
  for (let i = 0; i < runs; i++) await submit(site, store, `p${String(i).padStart(3, '0')}`, 'green', ['kilo/epel-7']);
  // A first engine whose reports all fail: every run ends in the outbox.
  const failing = new Engine({ store, providers: [instant], reporters: [{ report: async () => { throw new Error('repository read-only'); } }], workerId: 'first', leaseMs: 1000, pollMs: 50, sweepEveryMs: 600_000 });
  failing.start();
  for (let i = 0; i < 600 && (await store.listUnfinishedRunIds()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  await failing.stop();
  assert.equal((await store.listUnreportedRuns(1000)).length, runs, 'every run waits in the outbox');
  await new Promise((r) => setTimeout(r, 1100)); // the failed reports' claims lapse
  const { reporter, all } = reportsOf(runs, 40_000);
  const engine = new Engine({ store, providers: [instant], reporters: [reporter], workerId: 'second', leaseMs: 30_000, pollMs: 600_000, sweepEveryMs: 600_000 });
  engine.start();
  const made = await all;
  await engine.stop();
  assert.equal(made, runs, `${made} of ${runs} owed reports made at start (pages of 100)`);
});
