import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../src/store/index.js';
import { exited, liveJobProcesses, sleep } from '../helpers/fault-serve.js';
import { PROJECT_ROOT, tempDir } from '../helpers/paths.js';
import { makeSite, submit, type Site } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

function serve(site: Site, storeUrl: string): ChildProcess {
  return spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'serve', '--listen', 'off'], {
    cwd: site.dir, env: { ...process.env, SLUICE_STORE: storeUrl }, stdio: ['ignore', 'ignore', 'ignore'],
  });
}

/** The attempts whose commands are alive now, as `run#attempt`, from the processes' own environment. */
function liveAttempts(runs: readonly string[]): string[] {
  const attempts = new Set<string>();
  for (const pid of liveJobProcesses(runs)) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const run = env.find((e) => e.startsWith('SLUICE_RUN='))?.slice('SLUICE_RUN='.length);
      const attempt = env.find((e) => e.startsWith('SLUICE_ATTEMPT='))?.slice('SLUICE_ATTEMPT='.length);
      if (run && attempt) attempts.add(`${run}#${attempt}`);
    } catch {
      // Ended meanwhile.
    }
  }
  return [...attempts].sort();
}

async function allReported(store: Store, runs: readonly string[]): Promise<boolean> {
  for (const id of runs) {
    const r = await store.getRun(id);
    if (r?.state !== 'finished' || r.reportedAt === null) return false;
  }
  return true;
}

const CAPACITY = 2;

forEachStore('with the box starved (CPU hogs) and a worker SIGSTOPped past its lease, no more jobs run than the capacity and no job runs two attempts at once', async ({ store, url }, t) => {
  const site = await makeSite(tempDir(t), { capacity: CAPACITY, lease: '2s', retries: 0, timeout: '5m' });
  // Sweeps less often than leases run out, as by default (15 s against 60 s of lease is the
  // other way round, but a stalled worker's lease lapses between two sweeps all the same).
  writeFileSync(join(site.dir, 'sluice.yaml'), readFileSync(join(site.dir, 'sluice.yaml'), 'utf8').replace('sweep: 200ms', 'sweep: 3s'));
  const runs: string[] = [];
  for (let i = 0; i < 6; i++) runs.push(await submit(site, store, `s${String(i).padStart(2, '0')}`, 'sleep 8', ['kilo/epel-7']));
  const hogs = [0, 1, 2].map(() => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  const workers: ChildProcess[] = [];
  t.after(async () => {
    for (const p of [...hogs, ...workers]) { p.kill('SIGCONT'); p.kill('SIGKILL'); }
    await Promise.all([...hogs, ...workers].map(exited));
  });

  // Sampled all along: the capacity and one attempt per job, as the processes show them.
  const violations: string[] = [];
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const alive = liveAttempts(runs);
      samples++;
      if (alive.length > CAPACITY) violations.push(`${alive.length} attempts alive at once: ${alive.join(' ')}`);
      const byRun = new Map<string, number>();
      for (const a of alive) byRun.set(a.split('#')[0] as string, (byRun.get(a.split('#')[0] as string) ?? 0) + 1);
      for (const [run, n] of byRun) if (n > 1) violations.push(`run ${run} has ${n} attempts alive at once`);
      await sleep(20);
    }
  })();

  const stalled = serve(site, url);
  workers.push(stalled);
  const deadline = Date.now() + 60_000;
  while (liveAttempts(runs).length < CAPACITY && Date.now() < deadline) await sleep(20);
  assert.equal(liveAttempts(runs).length, CAPACITY, 'the first worker runs as many jobs as the capacity');
  workers.push(serve(site, url));
  // The second worker is up (and finds every node leased) before the first one stalls.
  await sleep(2_500);
  // Stalled for two leases and more, its jobs' commands still running: the other worker
  // reclaims them, and nothing else may take their nodes until their processes are gone.
  stalled.kill('SIGSTOP');
  await sleep(6_000);
  stalled.kill('SIGCONT');

  while (!(await allReported(store, runs)) && Date.now() < deadline + 120_000) await sleep(100);
  sampling = false;
  await sampler;
  assert.deepEqual(violations.slice(0, 10), [], `over ${samples} samples`);
  t.diagnostic(`${samples} samples, no violation`);
  for (const id of runs) assert.equal((await store.getRun(id))?.verdict, 'pass', `run ${id}`);
  const reclaimed = (await store.listEvents({ limit: 100_000 })).filter((e) => e.kind === 'job.reclaimed');
  assert.ok(reclaimed.length > 0, 'the stalled worker\'s jobs were reclaimed');
}, { timeoutMs: 240_000 });
