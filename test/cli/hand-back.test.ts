import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, liveJobProcesses, serve, sleep } from '../helpers/fault-serve.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { makeSite, submit, updateText } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

forEachStore('sluice serve: SIGTERM waits for the running jobs; a second SIGTERM hands them back to the queue and exits; the next serve runs them', async ({ store, url }, t) => {
  // retries: 0 and a 30 s lease: a job lost any other way would end as infra, or wait for its lease.
  const site = await makeSite(tempDir(t), { timeout: '5m', retries: 0, lease: '30s' });
  const run = await submit(site, store, 'long', 'sleep 6', ['kilo/epel-7']);
  const first = serve(site.dir, url);
  t.after(() => { first.process.kill('SIGKILL'); });
  await first.working;
  const deadline = Date.now() + 30_000;
  while (liveJobProcesses([run]).length === 0 && Date.now() < deadline) await sleep(50);
  assert.ok(liveJobProcesses([run]).length > 0, 'the job runs');

  first.process.kill('SIGTERM');
  while (!first.stderr().includes('stopping after the running jobs') && Date.now() < deadline) await sleep(20);
  await sleep(300);
  assert.equal(first.process.exitCode, null, 'the first SIGTERM waits for the running job');
  assert.ok(liveJobProcesses([run]).length > 0, 'which still runs');
  first.process.kill('SIGTERM');
  await exited(first.process);
  assert.equal(first.process.exitCode, 0, first.stderr());
  assert.match(first.stderr(), /sluice serve: handing the running jobs back to the queue/);
  assert.deepEqual(liveJobProcesses([run]), [], 'its commands were stopped');
  const job = (await store.listJobs(run))[0]!;
  assert.deepEqual([job.state, job.attempt, job.maxAttempts, job.interruptions], ['queued', 1, 2, 1]);

  const second = serve(site.dir, url);
  t.after(() => { second.process.kill('SIGKILL'); });
  await second.working;
  const until = Date.now() + 60_000;
  while ((await store.getRun(run))?.reportedAt == null && Date.now() < until) await sleep(100);
  second.process.kill('SIGTERM');
  await exited(second.process);
  const done = await store.getRun(run);
  assert.equal(done?.verdict, 'pass', done?.reason ?? '');
  assert.deepEqual((await store.listJobs(run)).map((j) => [j.attempt, j.result]), [[2, 'success']]);
}, { timeoutMs: 120_000 });

forEachStore('Ctrl-C during sluice submit hands its jobs back and exits 3; the run goes on under sluice serve', async ({ store, url }, t) => {
  const site = await makeSite(tempDir(t), { timeout: '5m', retries: 0, lease: '30s' });
  writeFileSync(join(site.dir, 'long.yml'), updateText('sleep 6', ['kilo/epel-7']));
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'submit', 'long.yml'], {
    cwd: site.dir, env: { ...process.env, SLUICE_STORE: url }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => { child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += String(d); });
  child.stdout.resume();
  const deadline = Date.now() + 30_000;
  let runId: string | undefined;
  while (Date.now() < deadline) {
    runId = (await store.listRuns({ limit: 1 }))[0]?.id;
    if (runId && liveJobProcesses([runId]).length > 0) break;
    await sleep(50);
  }
  assert.ok(runId && liveJobProcesses([runId]).length > 0, `the job runs: ${stderr}`);
  child.kill('SIGINT');
  await exited(child);
  assert.equal(child.exitCode, 3, `no verdict: exit 3\n${stderr}`);
  assert.match(stderr, new RegExp(`sluice: interrupted: the jobs this command ran go back to the queue \\(their attempts given back\\); run ${runId} goes on under \`sluice serve\``));
  assert.deepEqual(liveJobProcesses([runId]), [], 'its commands were stopped');
  const job = (await store.listJobs(runId))[0]!;
  assert.deepEqual([job.state, job.attempt, job.maxAttempts, job.interruptions], ['queued', 1, 2, 1]);
  assert.equal((await store.getRun(runId))?.verdict, null);
}, { timeoutMs: 60_000 });

forEachStore('Ctrl-C during sluice rerun hands every job its engine runs back and exits 3', async ({ store, url }, t) => {
  const site = await makeSite(tempDir(t), { timeout: '5m', retries: 0, lease: '30s' });
  const original = await submit(site, store, 'long', 'sleep 6', ['kilo/epel-7']);
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'rerun', original], {
    cwd: site.dir, env: { ...process.env, SLUICE_STORE: url }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => { child.kill('SIGKILL'); });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += String(d); });
  child.stderr.on('data', (d: Buffer) => { stderr += String(d); });
  const deadline = Date.now() + 30_000;
  const runIds = async () => (await store.listRuns({ limit: 10 })).map((r) => r.id);
  while ((await runIds()).length < 2 || liveJobProcesses(await runIds()).length < 2) {
    if (Date.now() > deadline) assert.fail(`both runs' jobs should run: ${stderr}`);
    await sleep(50);
  }
  const rerunId = (await runIds()).find((id) => id !== original)!;
  child.kill('SIGINT');
  await exited(child);
  assert.equal(child.exitCode, 3, `no verdict: exit 3\n${stdout}${stderr}`);
  assert.match(stderr, new RegExp(`sluice: interrupted: .*; run ${rerunId} goes on under \`sluice serve\``));
  assert.deepEqual(liveJobProcesses([original, rerunId]), []);
  for (const id of [original, rerunId]) {
    const job = (await store.listJobs(id))[0]!;
    assert.deepEqual([job.state, job.attempt, job.interruptions], ['queued', 1, 1], `the job of ${id}`);
  }
}, { timeoutMs: 60_000 });
