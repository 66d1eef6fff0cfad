import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../src/store/index.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { gitSubjects, liveJobProcesses, serve as servedProcess } from '../helpers/fault-serve.js';
import { killWithItsRunner } from '../helpers/processes.js';
import { makeSite, submit, type Site } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

/** `sluice serve` as a real process, as an operator runs it. */
function serve(site: Site, storeUrl: string): ChildProcess {
  return spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve'], {
    cwd: site.dir, env: { ...process.env, SLUICE_STORE: storeUrl }, stdio: ['ignore', 'ignore', 'pipe'],
  });
}

const exited = (p: ChildProcess) => new Promise<void>((resolve) => { if (p.exitCode !== null || p.signalCode !== null) resolve(); else p.once('exit', () => resolve()); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function allReported(store: Store, runs: readonly string[]): Promise<boolean> {
  for (const id of runs) {
    const r = await store.getRun(id);
    if (r?.state !== 'finished' || r.reportedAt === null) return false;
  }
  return true;
}

/** No job of a run started after the run had its verdict. */
async function noJobAfterVerdict(store: Store, runs: readonly string[]): Promise<void> {
  for (const id of runs) {
    const events = await store.listEvents({ runId: id, limit: 10_000 });
    const finishedAt = events.findIndex((e) => e.kind === 'run.finished');
    assert.ok(finishedAt >= 0, `run ${id} has finished`);
    assert.deepEqual(events.slice(finishedAt).filter((e) => e.kind === 'job.started'), [], `no job of ${id} started after its verdict`);
  }
}

/** At most this many kills, each once serve works (the reliability suite's chaos makes 20 too). */
const KILLS = 20;

forEachStore('SIGKILL of the engine at random points of 20 concurrent runs: every run ends, nothing merged twice or lost, no lease leaked', async ({ store, url }, t) => {
  // Every attempt a kill interrupts is given back (more than there are kills): the job
  // claimed first after each restart may be the one killed every time (it was, 14 times).
  const site = await makeSite(tempDir(t), { retries: 10, capacity: 4, lease: '1s', interruptedAttempts: KILLS + 10 });
  const runs: string[] = [];
  const expected = new Map<string, string>();
  for (let i = 0; i < 20; i++) {
    const id = `k${String(i).padStart(3, '0')}`;
    const fails = i % 5 === 0;
    const runId = await submit(site, store, id, `${fails ? 'fail on kilo/fedora-22, ' : ''}sleep 0.${2 + (i % 4)}`, ['kilo/epel-7', 'kilo/fedora-22']);
    runs.push(runId);
    expected.set(runId, fails ? 'fail' : 'pass');
  }
  let seed = 42;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  let kills = 0;
  for (let round = 0; round < KILLS && !(await allReported(store, runs)); round++) {
    // Killed only once it works: on a loaded box a start can take longer than the random
    // wait, and a kill before it claimed anything tests nothing (CI saw 40 such kills).
    const p = servedProcess(site.dir, url);
    await p.working.catch(() => undefined);
    await sleep(250 + random() * 1000);
    p.process.kill('SIGKILL');
    await exited(p.process);
    kills++;
  }
  // A last, well-behaved worker: outlives every dead worker's lease, drains, stops cleanly.
  const last = serve(site, url);
  const deadline = Date.now() + 90_000;
  while (!(await allReported(store, runs)) && Date.now() < deadline) await sleep(200);
  await sleep(1500);
  last.kill('SIGTERM');
  await exited(last);

  assert.ok(kills >= 3, `the engine was killed ${kills} times`);
  const reclaimed = (await store.listEvents({ limit: 100_000 })).filter((e) => e.kind === 'job.reclaimed').length;
  const lostByJob = new Map<string, number>();
  for (const e of await store.listEvents({ limit: 100_000 })) if (e.kind === 'job.reclaimed' && e.jobId) lostByJob.set(e.jobId, (lostByJob.get(e.jobId) ?? 0) + 1);
  t.diagnostic(`${kills} SIGKILLs, ${reclaimed} jobs reclaimed from dead workers (at most ${Math.max(0, ...lostByJob.values())} of one job)`);
  assert.ok(reclaimed >= 1, 'some kill landed while jobs ran');
  for (const id of runs) assert.equal((await store.getRun(id))?.verdict, expected.get(id), `verdict of ${id}`);
  await noJobAfterVerdict(store, runs);
  const subjects = gitSubjects(site.repoPath);
  for (const [runId, verdict] of expected) {
    const updateId = (await store.getRun(runId))?.updateId;
    assert.equal(subjects.filter((s) => s === `New ${updateId}`).length, verdict === 'pass' ? 1 : 0, `merges of ${updateId}`);
  }
  const held = (await store.listLeases()).filter((l) => l.holder !== null);
  assert.deepEqual(held, [], 'no lease is still held');
  assert.deepEqual(liveJobProcesses(runs), [], 'no test process outlived its job');
}, { timeoutMs: 240_000 });

forEachStore('the processes of a job whose worker and command runner were SIGKILLed are reaped when the job is reclaimed', async ({ store, url }, t) => {
  const site = await makeSite(tempDir(t), { lease: '1s', timeout: '5m' });
  const run = await submit(site, store, 'orph', 'sleep 300', ['kilo/epel-7']);
  const first = serve(site, url);
  // A failed assertion must not leave a serve running: it would keep this file from ending.
  t.after(() => { if (first.exitCode === null && first.signalCode === null) killWithItsRunner(first); });
  const deadline = Date.now() + 30_000;
  while ((await store.listJobs(run))[0]?.state !== 'running' && Date.now() < deadline) await sleep(50);
  // The job is running from its claim; its command starts once the worker's command runner
  // (forked at the first command) has started it, which a loaded box can take a while over.
  const started = Date.now() + 30_000;
  while (liveJobProcesses([run]).length === 0 && Date.now() < started) await sleep(50);
  await sleep(300);
  assert.equal(liveJobProcesses([run]).length > 0, true, 'the test is running');
  // The worker and its command runner die together (a runner alone would end the job itself).
  killWithItsRunner(first);
  await exited(first);
  assert.ok(liveJobProcesses([run]).length > 0, 'its processes outlive the dead worker');
  const second = serve(site, url);
  t.after(() => { if (second.exitCode === null && second.signalCode === null) killWithItsRunner(second); });
  const until = Date.now() + 30_000;
  while ((await store.listJobs(run))[0]?.attempt !== 2 && Date.now() < until) await sleep(100);
  await sleep(500);
  const environ = (pid: number) => { try { return readFileSync(`/proc/${pid}/environ`, 'utf8'); } catch { return ''; } };
  const orphansOfFirst = liveJobProcesses([run]).filter((pid) => environ(pid).includes('SLUICE_ATTEMPT=1\0'));
  await store.cancelRun({ runId: run, now: Date.now(), reason: 'test over' });
  while ((await store.getRun(run))?.state !== 'finished' && Date.now() < until + 30_000) await sleep(100);
  second.kill('SIGTERM');
  await exited(second);
  assert.deepEqual(orphansOfFirst, [], 'the first attempt\'s processes were killed when it was reclaimed');
  assert.deepEqual(liveJobProcesses([run]), [], 'and the cancel stopped the second attempt');
}, { timeoutMs: 120_000 });

forEachStore('three worker processes share one store and run each job exactly once', async ({ dialect, store, url }, t) => {
  if (dialect === 'sqlite') { t.skip('workers on several hosts share a PostgreSQL store; SQLite serves one host'); return; }
  // A lease long enough that a loaded box's stall is not taken for a dead worker: a job
  // reclaimed from a live one would rightly run twice, which is not what is tested here.
  const site = await makeSite(tempDir(t), { capacity: 6, lease: '15s' });
  const runs: string[] = [];
  for (let i = 0; i < 30; i++) runs.push(await submit(site, store, `w${String(i).padStart(3, '0')}`, 'sleep 0.3', ['kilo/epel-7']));
  const workers = [serve(site, url), serve(site, url), serve(site, url)];
  const deadline = Date.now() + 120_000;
  while (!(await allReported(store, runs)) && Date.now() < deadline) await sleep(200);
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map(exited));

  const events = await store.listEvents({ limit: 100_000 });
  const starts = events.filter((e) => e.kind === 'job.started');
  const attemptOf = (e: { payload: unknown }) => (e.payload as { attempt?: number } | null)?.attempt;
  const twice = starts.filter((e, i) => starts.findIndex((o) => o.jobId === e.jobId) !== i).map((e) => e.jobId);
  const story = events.filter((e) => twice.includes(e.jobId)).map((e) => `${e.seq} ${e.kind} ${e.jobId} ${JSON.stringify(e.payload)}`).join('\n');
  // Exactly once: no attempt of a job was claimed by two workers. A second attempt is
  // only ever the store's retry of an infra result or its reclaim of an expired lease (a
  // sandbox that could not start on a loaded box), told by its event, never a double claim.
  const claims = new Set(starts.map((e) => `${e.jobId}#${attemptOf(e)}`));
  assert.equal(claims.size, starts.length, `an attempt claimed twice:\n${story}`);
  const retried = new Set(events.filter((e) => e.kind === 'job.retried' || e.kind === 'job.reclaimed').map((e) => `${e.jobId}#${attemptOf(e)}`));
  for (const e of starts) {
    const attempt = attemptOf(e) ?? 0;
    if (attempt > 1) assert.ok(retried.has(`${e.jobId}#${attempt - 1}`), `attempt ${attempt} of ${e.jobId} without a retry of attempt ${attempt - 1}:\n${story}`);
  }
  assert.equal(new Set(starts.map((e) => e.jobId)).size, 30, 'every job started');
  if (starts.length > 30) t.diagnostic(`${starts.length - 30} attempts retried on this box:\n${story}`);
  for (const id of runs) assert.equal((await store.getRun(id))?.verdict, 'pass');
  const byWorker = new Map<string, number>();
  for (const e of starts) {
    const w = (e.payload as { worker: string }).worker;
    byWorker.set(w, (byWorker.get(w) ?? 0) + 1);
  }
  assert.equal(byWorker.size, 3, `all three workers took jobs: ${JSON.stringify([...byWorker])}`);
  // Capacity 6 is shared through leases: never more than 6 jobs at once across the three.
  const finishes = events.filter((e) => e.kind === 'job.finished');
  const timeline = [...starts.map((e) => [e.seq, 1] as const), ...finishes.map((e) => [e.seq, -1] as const)].sort((a, b) => a[0] - b[0]);
  let running = 0;
  let peak = 0;
  for (const [, d] of timeline) { running += d; peak = Math.max(peak, running); }
  assert.ok(peak <= 6, `at most 6 jobs ran at once, saw ${peak}`);
  assert.equal(gitSubjects(site.repoPath).filter((s) => s.startsWith('New w')).length, 30);
}, { timeoutMs: 180_000 });
