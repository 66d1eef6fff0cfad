import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sourceFor } from '../../src/drivers/sources/registry.js';
import { tempDir } from '../helpers/paths.js';
import { requireRpmTools } from '../helpers/rpm.js';
import { build, fooRpms, removeFooRpms } from './fixtures.js';

after(removeFooRpms);

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function local(path: string, configDir = '/') {
  const got = sourceFor('mirror', { mirror: { type: 'local', path } }, { configDir });
  assert.ok(got.ok);
  return got.value;
}

describe('the local source (a directory of RPMs)', () => {
  it('fetches a build from its own <nvr>/ directory, sub-packages included', async (t) => {
    if (!requireRpmTools(t)) return;
    const rpms = fooRpms();
    if (!rpms) return;
    const root = tempDir(t);
    mkdirSync(join(root, 'foo-1.0-1.el7'));
    for (const f of [rpms.noarch, rpms.doc, rpms.src, rpms.x86]) copyFileSync(f, join(root, 'foo-1.0-1.el7', basename(f)));
    const dest = tempDir(t);
    // A relative path is relative to the config file's directory.
    const got = await local('.', root).fetch(build({ id: 'foo-1.0-1.el7', source: 'mirror' }), dest);
    assert.ok(got.ok);
    assert.deepEqual(got.value.map((r) => r.name).sort(), ['foo-1.0-1.el7.noarch.rpm', 'foo-1.0-1.el7.src.rpm', 'foo-doc-1.0-1.el7.noarch.rpm']);
    assert.equal(got.value.find((r) => r.arch === 'noarch' && r.nvr === 'foo-1.0-1.el7')?.sha256, sha(rpms.noarch));
    assert.deepEqual(readdirSync(dest).sort(), got.value.map((r) => r.name).sort());
  });

  it('fetches from a flat directory by NVR, into the tag sub-directory', async (t) => {
    if (!requireRpmTools(t)) return;
    const rpms = fooRpms();
    if (!rpms) return;
    const root = tempDir(t);
    for (const f of [rpms.noarch, rpms.src, rpms.doc]) copyFileSync(f, join(root, basename(f)));
    const dest = tempDir(t);
    const got = await local(root).fetch(build({ id: 'foo-1.0-1.el7', tag: 'temp-liberty' }), dest);
    assert.ok(got.ok);
    // foo-doc is another NVR in a flat directory: not part of the build.
    assert.deepEqual(got.value.map((r) => r.path).sort(), [join(dest, 'temp-liberty', 'foo-1.0-1.el7.noarch.rpm'), join(dest, 'temp-liberty', 'foo-1.0-1.el7.src.rpm')]);
  });

  it('fails the update for a build it does not have, or one with no RPM of the arch', async (t) => {
    const root = tempDir(t);
    writeFileSync(join(root, 'bar-1-1.noarch.rpm'), 'not really an rpm');
    writeFileSync(join(root, 'bar-1-1.src.rpm'), 'not really an rpm');
    const missing = await local(root).check(build({ id: 'foo-1.0-1.el7' }));
    assert.deepEqual(missing, { ok: false, fault: 'update', message: `build foo-1.0-1.el7 does not exist in the local source ${root}` });
    const arch = await local(root).check(build({ id: 'bar-1-1', arch: 'x86_64' }));
    assert.deepEqual(arch, { ok: false, fault: 'update', message: 'no RPMs of arch x86_64 in build bar-1-1 (it has: noarch, src)' });
  });

  it('is infra when its directory is missing', async (t) => {
    const root = join(tempDir(t), 'gone');
    const got = await local(root).check(build({ id: 'foo-1.0-1.el7' }));
    assert.equal(got.ok, false);
    if (!got.ok) {
      assert.equal(got.fault, 'infra');
      assert.match(got.message, /^cannot read the local source .*gone: ENOENT/);
    }
  });

  it('refuses a file that changed since the last fetch into the same directory, keeping the old one', async (t) => {
    const root = tempDir(t);
    const dest = tempDir(t);
    writeFileSync(join(root, 'bar-1-1.noarch.rpm'), 'first bytes');
    const first = await local(root).fetch(build({ id: 'bar-1-1' }), dest);
    assert.ok(first.ok);
    writeFileSync(join(root, 'bar-1-1.noarch.rpm'), 'other bytes');
    const again = await local(root).fetch(build({ id: 'bar-1-1' }), dest);
    assert.equal(again.ok, false);
    if (!again.ok) assert.match(again.message, /^checksum changed between fetches: bar-1-1\.noarch\.rpm/);
    assert.deepEqual(readdirSync(dest), ['bar-1-1.noarch.rpm']);
    assert.equal(readFileSync(join(dest, 'bar-1-1.noarch.rpm'), 'utf8'), 'first bytes');
  });
});

describe('the source registry', () => {
  it('fails the update that names a source the configuration lacks', () => {
    assert.deepEqual(sourceFor('copr-jruzicka', { koji: { type: 'local', path: '/x' } }, { configDir: '/' }), {
      ok: false,
      fault: 'update',
      message: 'source copr-jruzicka is not in the configuration\'s sources (known: koji)',
    });
  });
});
