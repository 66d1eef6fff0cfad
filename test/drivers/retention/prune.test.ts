import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { measure } from '../../../src/drivers/retention/disk-walk.js';
import { diskUsage, pruneSite } from '../../../src/drivers/retention/index.js';
import { repositoryDigest } from '../../../src/drivers/rpm/repository.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/paths.js';
import { forEachStore, type StoreFixture } from '../../helpers/store-matrix.js';
import { makeSite, siteEngine, submit, type Site } from '../../helpers/site.js';

const DAY = 86_400_000;

const RETENTION = `work_dir: work
promote: { production: production }
retention:
  logs: { max_age: 30d }
  builds: { max_size: 7000B }
  repositories: { max_age: 30d }
  trees: { max_size: 1B, keep: 1 }
  images: { max_age: 30d }
`;

/** Every file under a directory with its size: what "nothing changed" compares. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      // The store's own files change with any open; what it holds is compared by its events.
      if (e.isDirectory()) { if (e.name !== '.sluice') walk(p); }
      else out.push(`${relative(dir, p)} ${e.isFile() ? statSync(p).size : 'link'}`);
    }
  };
  walk(dir);
  return out.sort();
}

/** Sets a whole directory's times back: what it would look like after `days` untouched. */
function age(path: string, days: number): void {
  const when = new Date(Date.now() - days * DAY);
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    utimesSync(p, when, when);
  };
  walk(path);
}

function file(path: string, bytes: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 0x61));
}

/** A fetched build as the build cache keeps it: its RPM and the manifest written last. */
function build(site: Site, id: string, bytes: number): string {
  const dir = join(site.dir, 'cache', 'builds', 'koji', id);
  const rpm = join(dir, `${id}.noarch.rpm`);
  file(rpm, bytes - 100);
  const manifest = JSON.stringify([{ name: `${id}.noarch.rpm`, path: rpm, sha256: id.padEnd(64, '0').slice(0, 64), size: bytes - 100, arch: 'noarch', nvr: id }]);
  writeFileSync(join(dir, '.fetched.json'), manifest.padEnd(100, ' '));
  return rpm;
}

interface Kinds { logs: number; builds: number; repositories: number; trees: number; images: number }

async function sizes(site: Site): Promise<Kinds> {
  const runs = readdirSync(join(site.dir, 'work'));
  let logs = 0;
  for (const r of runs) logs += (await measure(join(site.dir, 'work', r))).bytes;
  return {
    logs,
    builds: (await measure(join(site.dir, 'cache', 'builds'))).bytes,
    repositories: (await measure(join(site.dir, 'cache', 'repos'))).bytes,
    trees: (await measure(join(site.dir, 'production', '.trees'))).bytes,
    images: (await measure(join(site.dir, 'images'))).bytes,
  };
}

/**
 * A site with something of every kind: a finished run's logs (old), an unfinished run's
 * (old too), builds needed by that run and by a ready/ update, stale builds, repositories,
 * three production trees and two images.
 */
async function stockedSite(t: { after: (fn: () => void) => void }, fixture: StoreFixture): Promise<{ site: Site; store: Store; finished: string; unfinished: string; finishedJob: string }> {
  const site = await makeSite(tempDir(t, 'issue-18retain-'), { retries: 0, store: JSON.stringify(fixture.url) });
  appendFileSync(join(site.dir, 'sluice.yaml'), RETENTION);
  const { store } = fixture;
  const finished = await submit(site, store, 'done', 'green', ['kilo/epel-7']);
  const engine = siteEngine(site, store);
  engine.start();
  await engine.waitForRun(finished);
  await engine.stop();
  for (let i = 0; i < 100 && (await store.getRun(finished))?.reportedAt == null; i++) await new Promise((r) => setTimeout(r, 50));
  const finishedJob = (await store.listJobs(finished))[0]?.id ?? '';
  file(join(site.dir, 'work', finished, 'extra-result.xml'), 4000);
  age(join(site.dir, 'work', finished), 40);
  // Submitted long ago and never run: its logs, builds and repository are needed.
  const unfinished = await submit(site, store, 'wait', 'green', ['kilo/epel-7'], Date.now() - 20 * DAY);
  file(join(site.dir, 'work', unfinished, 'prepare.log'), 3000);
  age(join(site.dir, 'work', unfinished), 40);
  file(join(site.dir, 'work', 'young-orphan-run', 'job.log'), 500);
  const nova = build(site, 'openstack-nova-2015.1.2-1.el7', 2000);
  build(site, 'needed-by-ready-1.0-1.el7', 2000);
  build(site, 'stale-a-1.0-1.el7', 2000);
  build(site, 'stale-b-1.0-1.el7', 2000);
  // Older than the unfinished run: not written since it began.
  age(join(site.dir, 'cache', 'builds'), 25);
  age(join(site.dir, 'cache', 'builds', 'koji', 'stale-b-1.0-1.el7'), 22);
  // The ready/ update keeps its build.
  mkdirSync(join(site.repoPath, 'ready'), { recursive: true });
  writeFileSync(join(site.repoPath, 'ready', 'r1.yml'), 'notes: ready\nbuilds:\n  - id: needed-by-ready-1.0-1.el7\n    repo: kilo\n    dist: epel-7\n');
  execFileSync('git', ['-C', site.repoPath, 'add', 'ready/r1.yml']);
  execFileSync('git', ['-C', site.repoPath, '-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'ready r1']);
  // The repository of the unfinished run's builds, and one nobody needs.
  const needed = repositoryDigest([{ name: 'openstack-nova-2015.1.2-1.el7.noarch.rpm', sha256: 'openstack-nova-2015.1.2-1.el7'.padEnd(64, '0').slice(0, 64) }]);
  file(join(site.dir, 'cache', 'repos', needed, 'repodata', 'repomd.xml'), 700);
  execFileSync('ln', [nova, join(site.dir, 'cache', 'repos', needed, 'nova.rpm')]);
  file(join(site.dir, 'cache', 'repos', 'f'.repeat(64), 'repodata', 'repomd.xml'), 900);
  age(join(site.dir, 'cache', 'repos'), 40);
  // Three trees of kilo/epel-7; production shows the newest.
  const trees = join(site.dir, 'production', '.trees', 'kilo', 'epel-7');
  for (const [i, bytes] of [[1, 1100], [2, 1200], [3, 1300]] as const) file(join(trees, `00000${i}-run${i}`, 'repodata', 'repomd.xml'), bytes);
  mkdirSync(join(site.dir, 'production', 'kilo'), { recursive: true });
  symlinkSync(join('..', '.trees', 'kilo', 'epel-7', '000003-run3'), join(site.dir, 'production', 'kilo', 'epel-7'), 'dir');
  // Two images of the target, both old: the newest stays.
  for (const [name, daysOld] of [['img-old', 50], ['img-new', 40]] as const) {
    file(join(site.dir, 'images', `${name}.tar.gz`), 1500);
    await store.recordImage({ name, target: 'kilo/epel-7', provider: 'local', location: join(site.dir, 'images', `${name}.tar.gz`), productionKey: null, runId: finished, jobId: finishedJob, createdAt: Date.now() - daysOld * DAY });
  }
  return { site, store, finished, unfinished, finishedJob };
}

forEachStore('prune frees what the limits say, oldest first, and keeps what runs, ready/ updates, production and rollbacks need', async (fixture, t) => {
  const { site, store, finished, unfinished, finishedJob } = await stockedSite(t, fixture);
  const before = await sizes(site);
  const staleA = (await measure(join(site.dir, 'cache', 'builds', 'koji', 'stale-a-1.0-1.el7'))).bytes;
  const files = snapshot(site.dir);
  const events = (await store.listEvents({ limit: 10_000 })).length;

  const dry = await runCli(['prune', '--dry-run', '--json'], { cwd: site.dir });
  assert.equal(dry.status, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout) as { kinds: { kind: keyof Kinds; bytes: number; removedBytes: number; removedItems: number }[]; removed: { kind: string; id: string }[]; held: { id: string; neededBy: string }[] };
  assert.deepEqual(snapshot(site.dir), files, 'a dry run deletes nothing');
  assert.equal((await store.listEvents({ limit: 10_000 })).length, events, 'a dry run writes nothing to the store');
  assert.equal((await store.listImages()).length, 2);
  assert.deepEqual(planned.removed.map((r) => `${r.kind} ${r.id}`).sort(), [
    'builds koji/stale-a-1.0-1.el7',
    'images img-old',
    `logs ${finished}`,
    `repositories ${'f'.repeat(64)}`,
    'trees kilo/epel-7/000001-run1',
  ]);
  for (const k of planned.kinds) assert.equal(k.bytes, before[k.kind], `the dry run measures ${k.kind} as the disk holds it`);

  const table = await runCli(['prune', '--dry-run', '--list'], { cwd: site.dir });
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^dry run: nothing was deleted\nkind +items +size +would free +deleted/);
  assert.match(table.stdout, /^builds +4 .* 1 item, 2 files +2 kept: still needed$/m);
  assert.match(table.stdout, /^would free .* \(5 items\); \d+ files looked at in \d+ ms$/m);
  assert.match(table.stdout, /^ {2}trees kilo\/epel-7\/000001-run1 +1\.07 KiB +\(over max_size\)$/m);
  assert.deepEqual(snapshot(site.dir), files, 'still nothing deleted');

  const real = await runCli(['prune', '--json'], { cwd: site.dir });
  assert.equal(real.status, 0, real.stderr);
  const done = JSON.parse(real.stdout) as typeof planned;
  const after = await sizes(site);
  for (const k of done.kinds) {
    assert.equal(before[k.kind] - after[k.kind], k.removedBytes, `${k.kind}: the bytes reported freed left the disk`);
    assert.equal(k.removedBytes, planned.kinds.find((p) => p.kind === k.kind)?.removedBytes, `${k.kind}: freed what the dry run said`);
  }
  // Exact figures: the finished run's logs with its 4000-byte result, the oldest build (an RPM and its manifest), a 900-byte repository, a 1100-byte tree, a 1500-byte image.
  assert.ok(done.kinds.find((k) => k.kind === 'logs')!.removedBytes >= 4000);
  assert.ok(staleA > 1900);
  assert.deepEqual(['builds', 'repositories', 'trees', 'images'].map((k) => done.kinds.find((x) => x.kind === k)?.removedBytes), [staleA, 900, 1100, 1500]);

  assert.ok(!existsSync(join(site.dir, 'work', finished)));
  assert.ok(existsSync(join(site.dir, 'work', unfinished, 'prepare.log')), 'an unfinished run keeps its logs');
  assert.ok(existsSync(join(site.dir, 'work', 'young-orphan-run', 'job.log')), 'young logs stay');
  for (const b of ['openstack-nova-2015.1.2-1.el7', 'needed-by-ready-1.0-1.el7', 'stale-b-1.0-1.el7']) assert.ok(existsSync(join(site.dir, 'cache', 'builds', 'koji', b, '.fetched.json')), b);
  const trees = readdirSync(join(site.dir, 'production', '.trees', 'kilo', 'epel-7')).sort();
  assert.deepEqual(trees, ['000002-run2', '000003-run3'], 'the current tree and one for a rollback stay');
  assert.deepEqual((await store.listImages()).map((i) => i.name), ['img-new'], 'the newest image stays, however old');
  assert.ok(!existsSync(join(site.dir, 'images', 'img-old.tar.gz')));
  assert.ok(done.held.some((h) => h.id === unfinished && /unfinished/.test(h.neededBy)));
  assert.ok(done.held.some((h) => h.id === 'koji/needed-by-ready-1.0-1.el7' && h.neededBy === 'ready/r1.yml'));

  // The run's rows stay, and say when the log went.
  assert.equal((await store.getRun(finished))?.state, 'finished');
  const logs = await runCli(['logs', finishedJob], { cwd: site.dir });
  assert.equal(logs.status, 0, logs.stderr);
  assert.match(logs.stdout, new RegExp(`log pruned on ${new Date().toISOString().slice(0, 10)}`));

  // A second prune finds nothing more to do.
  const again = JSON.parse((await runCli(['prune', '--json'], { cwd: site.dir })).stdout) as typeof planned;
  assert.equal(again.removed.length, 0);
});

test('copies of other hosts\' logs count as logs and go by age, with their markers, and leave no event on a run', async (t) => {
  const dir = tempDir(t, 'issue-18retain-');
  const peer = join(dir, 'work', '.peer-logs');
  file(join(peer, `${'a'.repeat(40)}.log`), 600);
  writeFileSync(join(peer, `${'a'.repeat(40)}.log.whole`), '');
  file(join(peer, `${'b'.repeat(40)}.log`), 700);
  age(join(peer, `${'a'.repeat(40)}.log`), 40);
  age(join(peer, `${'a'.repeat(40)}.log.whole`), 40);
  const store = await openStore('sqlite::memory:');
  t.after(() => store.close());
  const site = { workDir: join(dir, 'work'), cacheDir: join(dir, 'cache'), productionRoot: join(dir, 'production'), updateRepo: null, keepTrees: 2 };
  assert.equal((await diskUsage({ ...site, imagesDir: join(dir, 'images') })).used.logs, 1300);
  const report = await pruneSite(site, store, { limits: { logs: { maxAgeMs: 30 * DAY } }, now: Date.now(), dryRun: false });
  assert.deepEqual(report.plan.remove.map((r) => r.item.id), [`.peer-logs/${'a'.repeat(40)}.log`]);
  assert.equal(report.kinds.find((k) => k.kind === 'logs')?.removedBytes, 600);
  assert.deepEqual(readdirSync(peer), [`${'b'.repeat(40)}.log`]);
  assert.equal((await store.listEvents({ limit: 100 })).length, 0);
});
