import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStore, type Job, type Store } from '../../src/store/index.js';
import { exited, serve, until, type Served } from '../helpers/fault-serve.js';
import { tempDir } from '../helpers/paths.js';
import { postgres, stopPostgres } from '../helpers/postgres.js';
import { makeSite, submit } from '../helpers/site.js';

after(stopPostgres);

const dashboardOf = (s: Served) => /dashboard and API on (http:\/\/[^/\s]+)\//.exec(s.stderr())?.[1];

async function onlyJob(store: Store, runId: string): Promise<Job> {
  const [job] = await store.listJobs(runId);
  assert.ok(job, `run ${runId} has a job`);
  return job;
}

test('a log written by one serve is shown by another serve\'s dashboard on another directory: live while it grows, whole when done, and still after its host stops', { timeout: 180_000 }, async (t) => {
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['--mount', 'true']).status !== 0) {
    t.skip('needs root and unshare(1) to hide one host\'s directory from the other (CI runs as root)');
    return;
  }
  const pg = await postgres();
  if (!pg.ok) { t.skip(pg.reason); return; }
  const root = tempDir(t);
  for (const d of ['host-a', 'host-b']) mkdirSync(join(root, d));
  // Two sites with their own directories; host B's serve cannot see host A's.
  const siteA = await makeSite(join(root, 'host-a'));
  const siteB = await makeSite(join(root, 'host-b'));
  const url = await pg.server.createDatabase();
  const store = await openStore(url);
  const serves: Served[] = [];
  const logs = () => serves.map((s, i) => `--- serve ${i === 0 ? 'A' : 'B'} (pid ${s.process.pid}):\n${s.stderr()}`).join('\n');
  t.after(async () => {
    for (const s of serves) if (s.process.exitCode === null && s.process.signalCode === null) s.process.kill('SIGKILL');
    await Promise.all(serves.map((s) => exited(s.process)));
    await store.close();
  });
  const a = serve(siteA.dir, url, {}, { listen: '127.0.0.1:0' });
  serves.push(a);
  const atA = await until('serve A working', async () => (a.stderr().includes('sluice serve: working') ? dashboardOf(a) : undefined), 60_000, logs);

  // Host A runs a job that writes, sleeps, then fails; and a quick one whose log B never reads.
  const slow = await submit(siteA, store, 'slow', 'sleep 8 fail on kilo/epel-7', ['kilo/epel-7']);
  const quick = await submit(siteA, store, 'quick', 'fail on kilo/epel-7', ['kilo/epel-7']);
  const running = await until('the job running on A', async () => {
    const job = await onlyJob(store, slow);
    return job.state === 'running' && job.logOrigin !== null ? job : undefined;
  }, 60_000, logs);
  assert.equal(running.logOrigin, atA, 'the claim recorded serve A\'s dashboard as the log\'s origin');

  await until('the quick job finished on A', async () => ((await onlyJob(store, quick)).state === 'finished' ? true : undefined), 60_000, logs);

  // Host B starts once nothing is queued, so it runs none of these jobs; it only reads.
  const b = serve(siteB.dir, url, {}, { listen: '127.0.0.1:0', hiding: siteA.dir });
  serves.push(b);
  const atB = await until('serve B working', async () => (b.stderr().includes('sluice serve: working') ? dashboardOf(b) : undefined), 60_000, logs);
  const raw = (id: string) => fetch(`${atB}/jobs/${encodeURIComponent(id)}/log.txt`);

  const partial = await raw(running.id);
  assert.equal(partial.status, 200, logs());
  const partialText = await partial.text();
  const stillRunning = (await onlyJob(store, slow)).state === 'running';
  assert.match(partialText, /update=slow target=kilo\/epel-7/, 'B shows what A has written so far');
  if (stillRunning) assert.doesNotMatch(partialText, /Error: Package/, 'the error is not written yet');
  else t.diagnostic('the job ended before B read its log: the live part was not seen');

  const finished = await until('the job finished', async () => {
    const job = await onlyJob(store, slow);
    return job.state === 'finished' ? job : undefined;
  }, 60_000, logs);
  assert.equal(finished.result, 'failure');
  assert.ok(finished.logPath?.startsWith(siteA.dir), `the log is in A's directory (${finished.logPath})`);
  const onA = readFileSync(finished.logPath ?? '', 'utf8');
  assert.equal(await (await raw(finished.id)).text(), onA, 'B\'s copy, grown from the part it had, is A\'s log byte for byte');
  const api = await (await fetch(`${atB}/api/jobs/${encodeURIComponent(finished.id)}/log?from=1&count=100`)).json() as { lines: string[]; errors: { lines: number[] } | null };
  const errorLine = api.lines.findIndex((l) => l.includes('Error: Package: broken on kilo/epel-7')) + 1;
  assert.ok(errorLine > 0, JSON.stringify(api));
  assert.ok(api.errors?.lines.includes(errorLine), `B's API marks the error line ${errorLine}: ${JSON.stringify(api.errors)}`);
  assert.match(await (await fetch(`${atB}/jobs/${encodeURIComponent(finished.id)}/log`)).text(), /Error: Package: broken on kilo\/epel-7/);

  // Host A stops.
  const unread = await onlyJob(store, quick);
  assert.equal(unread.logOrigin, atA, `the second job ran on A too:\n${logs()}`);
  a.process.kill('SIGTERM');
  await exited(a.process);

  assert.equal(await (await raw(finished.id)).text(), onA, 'a log copied whole is shown while its host is down');
  const gone = await raw(unread.id);
  assert.equal(gone.status, 502);
  const body = await gone.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'E_LOG_UNREACHABLE');
  assert.ok(body.error.message.includes(atA), `the refusal names the host that holds the log: ${body.error.message}`);
});
