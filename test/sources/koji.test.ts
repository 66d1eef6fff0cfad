import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SourceConfig } from '../../src/core/config-schema.js';
import type { BuildSource, FetchedRpm, SourceOutcome } from '../../src/drivers/sources/build-source.js';
import { sourceFor } from '../../src/drivers/sources/registry.js';
import { fetchAll } from '../../src/drivers/sources/download.js';
import { fetchAndRecord } from '../../src/drivers/sources/fetch-and-record.js';
import { scratchBuild, startKojiStandin, type KojiStandin } from '../helpers/koji-standin.js';
import { tempDir } from '../helpers/paths.js';
import { requireRpmTools } from '../helpers/rpm.js';
import { build, fooRpms, removeFooRpms, type FooRpms } from './fixtures.js';

const FAST = { timeoutMs: 400, attempts: 3, backoffMs: 5 };
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let hub: KojiStandin;
let rpms: FooRpms;
/** foo-1.0-1.el7.src.rpm as a scratch build's buildArch child keeps it: mock rebuilt it, so other bytes. */
let keptSrpm: string;
let keptDir: string | undefined;

function fooBuild(state: number, id = 701): Parameters<typeof startKojiStandin>[0] & object {
  return {
    builds: [{
      id, name: 'foo', version: '1.0', release: '1.el7', state,
      rpms: [
        { name: 'foo', version: '1.0', release: '1.el7', arch: 'noarch', file: rpms.noarch },
        { name: 'foo-doc', version: '1.0', release: '1.el7', arch: 'noarch', file: rpms.doc },
        { name: 'foo', version: '1.0', release: '1.el7', arch: 'src', file: rpms.src },
        { name: 'foo', version: '1.0', release: '1.el7', arch: 'x86_64', file: rpms.x86 },
      ],
    }],
  };
}

before(async () => {
  const built = fooRpms();
  if (!built) return;
  rpms = built;
  keptDir = mkdtempSync(join(tmpdir(), 'sluice-kept-srpm-'));
  keptSrpm = join(keptDir, 'foo-1.0-1.el7.src.rpm');
  copyFileSync(built.src, keptSrpm);
  appendFileSync(keptSrpm, 'rebuilt by mock\n');
  hub = await startKojiStandin({
    builds: [
      ...(fooBuild(1).builds ?? []),
      { ...(fooBuild(3, 702).builds ?? [])[0]!, release: '2.el7' },
      { id: 703, name: 'evil', version: '1', release: '1', state: 1, rpms: [{ name: '../../evil', version: '1', release: '1', arch: 'noarch', file: built.noarch }] },
      { ...(fooBuild(1, 704).builds ?? [])[0]!, release: '3.el7', volume: 'fedora_koji_archive02' },
      { ...(fooBuild(1, 705).builds ?? [])[0]!, release: '4.el7', volume: '..' },
    ],
    tasks: [
      ...scratchBuild({ id: 12345678, srpm: built.src, keptSrpm, arches: [{ arch: 'noarch', files: [built.noarch] }] }),
      { id: 22345678, method: 'build', state: 5, arch: 'noarch' },
      { id: 32345678, method: 'buildArch', state: 2, arch: 'noarch' },
    ],
  });
});
after(async () => {
  await hub?.close();
  removeFooRpms();
  if (keptDir) rmSync(keptDir, { recursive: true, force: true });
});

function source(name: string, type: 'koji' | 'koji-scratch' = 'koji'): BuildSource {
  const sources: Record<string, SourceConfig> = { [name]: { type, hub: hub.hub, topurl: hub.topurl } };
  const got = sourceFor(name, sources, { configDir: '/nonexistent', policy: FAST });
  assert.ok(got.ok);
  return got.value;
}

function fetched(outcome: SourceOutcome<FetchedRpm[]>): FetchedRpm[] {
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.message);
  return outcome.value;
}

function assertFault(outcome: SourceOutcome<unknown>, fault: 'update' | 'infra', pattern: RegExp): void {
  assert.equal(outcome.ok, false, 'expected a fault');
  if (outcome.ok) return;
  assert.equal(outcome.fault, fault, outcome.message);
  assert.match(outcome.message, pattern);
}

/** Everything in a directory, dot-files (a left-over .partial-*) included. */
const listing = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

for (const name of ['koji', 'cbs']) {
  describe(`the ${name} source (a Koji hub)`, () => {
    it('checks a complete build and lists the RPMs of the wanted arch and the source RPM', async (t) => {
      if (!requireRpmTools(t)) return;
      const got = await source(name).check(build({ id: 'foo-1.0-1.el7', source: name }));
      assert.ok(got.ok);
      assert.deepEqual(got.value.rpms.map((r) => r.name).sort(), ['foo-1.0-1.el7.noarch.rpm', 'foo-1.0-1.el7.src.rpm', 'foo-doc-1.0-1.el7.noarch.rpm']);
      assert.ok(got.value.rpms.every((r) => r.location.startsWith(`${hub.topurl}/packages/foo/1.0/1.el7/`)));
    });

    it('fetches the RPMs whole, with their SHA-256, and leaves nothing partial', async (t) => {
      if (!requireRpmTools(t)) return;
      const dest = tempDir(t);
      const got = fetched(await source(name).fetch(build({ id: 'foo-1.0-1.el7', source: name, arch: 'noarch, x86_64' }), dest));
      assert.deepEqual(got.map((r) => r.name).sort(), ['foo-1.0-1.el7.noarch.rpm', 'foo-1.0-1.el7.src.rpm', 'foo-1.0-1.el7.x86_64.rpm', 'foo-doc-1.0-1.el7.noarch.rpm']);
      for (const r of got) {
        assert.equal(r.path, join(dest, r.name));
        assert.equal(r.sha256, sha(r.path));
        assert.equal(r.size, readFileSync(r.path).length);
      }
      assert.equal(got.find((r) => r.name === 'foo-1.0-1.el7.noarch.rpm')?.sha256, sha(rpms.noarch));
      assert.deepEqual(listing(dest), got.map((r) => r.name).sort());
    });

    it('puts the RPMs of a tagged build in the tag sub-directory', async (t) => {
      if (!requireRpmTools(t)) return;
      const dest = tempDir(t);
      const got = fetched(await source(name).fetch(build({ id: 'foo-1.0-1.el7', source: name, tag: 'temp-liberty' }), dest));
      assert.ok(got.every((r) => r.path === join(dest, 'temp-liberty', r.name)));
      assert.deepEqual(listing(dest), ['temp-liberty']);
    });

    it('fetches a build on another volume than DEFAULT from the top URL\'s vol/<volume>/packages', async (t) => {
      if (!requireRpmTools(t)) return;
      const dest = tempDir(t);
      hub.downloads.length = 0;
      const got = fetched(await source(name).fetch(build({ id: 'foo-1.0-3.el7', source: name }), dest));
      assert.deepEqual(got.map((r) => r.name).sort(), ['foo-1.0-1.el7.noarch.rpm', 'foo-1.0-1.el7.src.rpm', 'foo-doc-1.0-1.el7.noarch.rpm']);
      assert.ok(hub.downloads.length === 3 && hub.downloads.every((p) => p.startsWith('/vol/fedora_koji_archive02/packages/foo/1.0/3.el7/')), hub.downloads.join(' '));
      assertFault(await source(name).check(build({ id: 'foo-1.0-4.el7', source: name })), 'infra', /on a volume with an unsafe name: "\.\."/);
    });

    it('fails the update for a build the hub does not have', async (t) => {
      if (!requireRpmTools(t)) return;
      assertFault(await source(name).check(build({ id: 'foo-9-9.el7', source: name })), 'update', /build foo-9-9\.el7 does not exist on http/);
    });

    it('fails the update for a build that is not COMPLETE', async (t) => {
      if (!requireRpmTools(t)) return;
      const dest = tempDir(t);
      assertFault(await source(name).fetch(build({ id: 'foo-1.0-2.el7', source: name }), dest), 'update', /build foo-1\.0-2\.el7 is FAILED, not COMPLETE/);
      assert.deepEqual(listing(dest), []);
    });

    it('fails the update when the arch filter leaves no RPM', async (t) => {
      if (!requireRpmTools(t)) return;
      assertFault(await source(name).check(build({ id: 'foo-1.0-1.el7', source: name, arch: 'aarch64' })), 'update', /^no RPMs of arch aarch64 in build foo-1\.0-1\.el7 \(it has: noarch, src, x86_64\)$/);
    });
  });
}

describe('the koji-scratch source (Koji task numbers)', () => {
  it('fetches the RPMs of a closed build task from its children\'s work directories, the SRPM once: the one the buildArch child kept', async (t) => {
    if (!requireRpmTools(t)) return;
    const dest = tempDir(t);
    hub.downloads.length = 0;
    const got = fetched(await source('koji-scratch', 'koji-scratch').fetch(build({ id: 12345678, source: 'koji-scratch' }), dest));
    assert.deepEqual(got.map((r) => r.name).sort(), ['foo-1.0-1.el7.noarch.rpm', 'foo-1.0-1.el7.src.rpm']);
    const taskDir = ['', 'work', 'tasks', '5680', '12345680'].join('/');
    assert.deepEqual(hub.downloads.sort(), [`${taskDir}/foo-1.0-1.el7.noarch.rpm`, `${taskDir}/foo-1.0-1.el7.src.rpm`]);
    // Koji makes the SRPM the buildArch child kept the build's SRPM (BuildTask.runBuilds).
    assert.equal(got.find((r) => r.arch === 'src')?.sha256, sha(keptSrpm));
    assert.deepEqual(listing(dest), got.map((r) => r.name).sort());
  });

  it('fails the update for a task that does not exist, failed, or is no build', async (t) => {
    if (!requireRpmTools(t)) return;
    const scratch = source('koji-scratch', 'koji-scratch');
    assertFault(await scratch.check(build({ id: 99999999, source: 'koji-scratch' })), 'update', /scratch build task 99999999 does not exist/);
    assertFault(await scratch.check(build({ id: 22345678, source: 'koji-scratch' })), 'update', /scratch build task 22345678 is FAILED, not CLOSED/);
    assertFault(await scratch.check(build({ id: 32345678, source: 'koji-scratch' })), 'update', /task 32345678 is a buildArch task, not a build/);
  });
});

describe('a fetch that goes wrong on the way', () => {
  it('is an infra fault, never an exception, and keeps nothing: a name offered twice, a place that cannot take the files, a source that throws', async (t) => {
    if (!requireRpmTools(t)) return;
    const dest = tempDir(t);
    const twice = [rpms.src, keptSrpm].map((file) => ({ name: 'foo-1.0-1.el7.src.rpm', nvr: 'foo-1.0-1.el7', arch: 'src', location: file }));
    assertFault(await fetchAll(twice, dest, FAST), 'infra', /foo-1\.0-1\.el7\.src\.rpm is offered twice .*nothing was fetched/);
    assert.deepEqual(listing(dest), []);
    // A directory where the second RPM must go: the first is not left in place either.
    mkdirSync(join(dest, 'in-the-way', 'foo-1.0-1.el7.src.rpm'), { recursive: true });
    const two = [{ name: 'foo-1.0-1.el7.noarch.rpm', nvr: 'foo-1.0-1.el7', arch: 'noarch', location: rpms.noarch }, twice[0]!];
    assertFault(await fetchAll(two, join(dest, 'in-the-way'), FAST), 'infra', /nothing of this fetch was kept/);
    assert.deepEqual(listing(join(dest, 'in-the-way')), ['foo-1.0-1.el7.src.rpm']);
    writeFileSync(join(dest, 'a-file'), '');
    assertFault(await fetchAll(two, join(dest, 'a-file'), FAST), 'infra', /fetching into .*a-file failed/);
    // The source throws (an unsafe tag reaches tagDir): fetchAndRecord answers infra.
    const store = { recordRpms: () => Promise.reject(new Error('nothing to record')) };
    const got = await fetchAndRecord(source('koji'), build({ id: 'foo-1.0-1.el7', tag: '../escape' }), dest, { store, sourceName: 'koji', now: 0 });
    assertFault(got, 'infra', /source koji failed on build foo-1\.0-1\.el7: tag "\.\.\/escape" is not a safe name/);
  });
});

describe('a hub that misbehaves', () => {
  it('is infra when it answers garbage', async (t) => {
    if (!requireRpmTools(t)) return;
    hub.mode = 'garbage';
    t.after(() => { hub.mode = 'normal'; });
    assertFault(await source('koji').check(build({ id: 'foo-1.0-1.el7' })), 'infra', /answered getBuild with garbage: not XML/);
  });

  it('is infra when it answers a fault', async (t) => {
    if (!requireRpmTools(t)) return;
    hub.mode = 'fault';
    t.after(() => { hub.mode = 'normal'; });
    assertFault(await source('koji').check(build({ id: 'foo-1.0-1.el7' })), 'infra', /refused getBuild: fault 1000: koji\.GenericError: database outage$/);
  });

  it('is infra, after retries, when it answers HTTP 500', async (t) => {
    if (!requireRpmTools(t)) return;
    hub.mode = 'http500';
    hub.calls.length = 0;
    t.after(() => { hub.mode = 'normal'; });
    assertFault(await source('koji').check(build({ id: 'foo-1.0-1.el7' })), 'infra', /answered getBuild with HTTP 500: Internal Server Error \(after 3 attempts\)$/);
    assert.deepEqual(hub.calls, ['getBuild', 'getBuild', 'getBuild']);
  });

  it('is infra when it hangs past the timeout', async (t) => {
    if (!requireRpmTools(t)) return;
    hub.mode = 'hang';
    t.after(() => { hub.mode = 'normal'; });
    assertFault(await source('koji').check(build({ id: 'foo-1.0-1.el7' })), 'infra', /no answer within 400 ms \(after 3 attempts\)/);
  });

  it('is infra when it names an RPM with a path in it, and nothing is written', async (t) => {
    if (!requireRpmTools(t)) return;
    const dest = tempDir(t);
    assertFault(await source('koji').fetch(build({ id: 'evil-1-1' }), dest), 'infra', /unsafe name/);
    assert.deepEqual(listing(dest), []);
  });

  it('is infra when a download stays truncated, and leaves nothing in the destination', async (t) => {
    // Whether undici fails the fetch itself or the body read depends on packet timing; both say why.
    if (!requireRpmTools(t)) return;
    const dest = tempDir(t);
    const path = '/packages/foo/1.0/1.el7/noarch/foo-doc-1.0-1.el7.noarch.rpm';
    hub.truncate.set(path, Infinity);
    t.after(() => hub.truncate.delete(path));
    assertFault(await source('koji').fetch(build({ id: 'foo-1.0-1.el7' }), dest), 'infra', /^download of http:.*\/foo-doc-1\.0-1\.el7\.noarch\.rpm (truncated: \d+ of \d+ bytes \(terminated: other side closed\)|failed: terminated: other side closed) \(after 3 attempts\)$/);
    assert.deepEqual(listing(dest), []);
  });

  it('retries a download cut short once, and then has it whole', async (t) => {
    if (!requireRpmTools(t)) return;
    const dest = tempDir(t);
    const path = '/packages/foo/1.0/1.el7/noarch/foo-1.0-1.el7.noarch.rpm';
    hub.truncate.set(path, 1);
    hub.downloads.length = 0;
    t.after(() => hub.truncate.delete(path));
    const got = fetched(await source('koji').fetch(build({ id: 'foo-1.0-1.el7' }), dest));
    assert.equal(got.find((r) => r.name === 'foo-1.0-1.el7.noarch.rpm')?.sha256, sha(rpms.noarch));
    assert.equal(hub.downloads.filter((d) => d === path).length, 2);
  });

  it('refuses an RPM whose checksum changed between fetches, and keeps nothing of the second', async (t) => {
    if (!requireRpmTools(t)) return;
    const dest = tempDir(t);
    fetched(await source('koji').fetch(build({ id: 'foo-1.0-1.el7' }), dest));
    const before = listing(dest).map((n) => [n, sha(join(dest, n))]);
    const path = '/packages/foo/1.0/1.el7/noarch/foo-1.0-1.el7.noarch.rpm';
    hub.replace.set(path, rpms.rebuilt);
    t.after(() => hub.replace.delete(path));
    assertFault(
      await source('koji').fetch(build({ id: 'foo-1.0-1.el7' }), dest),
      'infra',
      /^checksum changed between fetches: foo-1\.0-1\.el7\.noarch\.rpm was sha256 [0-9a-f]{64}, now [0-9a-f]{64}; nothing of this fetch was kept$/,
    );
    assert.deepEqual(listing(dest).map((n) => [n, sha(join(dest, n))]), before);
  });
});
