import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { makeSite, siteEngine, submit } from '../helpers/site.js';

const root = process.getuid?.() === 0;

/**
 * A site whose work_dir is a small file system of its own (a 2 MiB tmpfs), unmounted
 * before the site is removed when the test ends.
 */
function siteDirWithSmallDisk(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-disk-full-'));
  const work = join(dir, 'work');
  mkdirSync(work);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', work], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`mount tmpfs: ${m.stderr}`);
  t.after(() => {
    spawnSync('umount', [work]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('a job whose disk fills ends as infra, says so, and the store keeps whole records', { skip: root ? false : 'needs root to mount a small tmpfs (the tests run as root in CI)' }, async (t) => {
  const site = await makeSite(siteDirWithSmallDisk(t), { retries: 0 });
  const store = await openStore(`sqlite:${join(site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  const flood = await submit(site, store, 'full', 'flood', ['kilo/epel-7']);
  // The log may grow far past the disk: only the disk stops it.
  const engine = siteEngine(site, store, { maxLogBytes: 1024 ** 3 });
  engine.start();
  const run = await engine.waitForRun(flood);
  // The engine keeps working once there is room again.
  writeFileSync(join(site.dir, 'note'), 'room elsewhere');
  await engine.stop();
  const [job] = await store.listJobs(flood);
  assert.equal(run.verdict, 'error', 'an infra result makes the run an error, not a failure of the update');
  assert.equal(job?.result, 'infra');
  assert.match(job?.reason ?? '', /^no space left on device while writing the job's log .*job\.log/);
  const events = await store.listEvents({ runId: flood, limit: 1000 });
  assert.equal(events.filter((e) => e.kind === 'job.finished').length, 1, 'the job finished once');
  assert.equal(events.filter((e) => e.kind === 'run.finished').length, 1, 'the run finished once');
  assert.ok(events.every((e) => e.kind !== 'unreadable'), 'every event reads whole');
});

/** Writes until the file system says it is full. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

test('a job that starts on a disk already full ends as infra, naming what it could not write', { skip: root ? false : 'needs root to mount a small tmpfs (the tests run as root in CI)' }, async (t) => {
  const site = await makeSite(siteDirWithSmallDisk(t), { retries: 0 });
  fill(join(site.dir, 'work', 'ballast'));
  const store = await openStore(`sqlite:${join(site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  const runId = await submit(site, store, 'late', 'green', ['kilo/epel-7']);
  const engine = siteEngine(site, store);
  engine.start();
  const run = await engine.waitForRun(runId);
  await engine.stop();
  const [job] = await store.listJobs(runId);
  assert.equal(run.verdict, 'error');
  assert.equal(job?.result, 'infra');
  assert.match(job?.reason ?? '', /^no space left on device while writing /);
});
