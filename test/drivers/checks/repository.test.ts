import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMPLETE_MARKER, makeRepository } from '../../../src/drivers/rpm/repository.js';
import { productionRepo } from '../../../src/drivers/checks/production.js';
import { requireRpmTools } from '../../helpers/rpm.js';
import { fixture } from './fixtures.js';

describe('content-addressed repositories', () => {
  it('builds a repository once and reuses it for the same files, whatever their order', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('u', [{ name: 'foo', version: '2.0', release: '1' }, { name: 'bar', version: '2.0', release: '1' }]);
    const cache = join(f.root, 'cache');
    let started = Date.now();
    const first = await makeRepository(rpms, cache);
    t.diagnostic(`makeRepository build: ${Date.now() - started} ms`);
    assert.equal(first.cached, false);
    assert.ok(existsSync(join(first.path, 'repodata', 'repomd.xml')));
    assert.ok(existsSync(join(first.path, COMPLETE_MARKER)));
    const repomd = statSync(join(first.path, 'repodata', 'repomd.xml'));
    started = Date.now();
    const second = await makeRepository([...rpms].reverse(), cache);
    t.diagnostic(`makeRepository cached: ${Date.now() - started} ms`);
    assert.equal(second.cached, true);
    assert.equal(second.path, first.path);
    const again = statSync(join(second.path, 'repodata', 'repomd.xml'));
    assert.equal(again.ino, repomd.ino, 'createrepo_c ran only once');
    assert.equal(again.mtimeMs, repomd.mtimeMs);
    assert.deepEqual(first.files.map((x) => x.name), ['bar-2.0-1.noarch.rpm', 'foo-2.0-1.noarch.rpm']);
  });

  it('gives different content a different repository', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const cache = join(f.root, 'cache');
    const a = await makeRepository(f.update('a', [{ name: 'foo', version: '2.0', release: '1' }]), cache);
    const b = await makeRepository(f.update('b', [{ name: 'foo', version: '2.0', release: '1', files: { '/usr/share/foo/README': 'other\n' } }]), cache);
    assert.notEqual(a.digest, b.digest);
    assert.equal(readdirSync(join(cache, 'repos')).length, 2);
  });

  it('survives two concurrent builders of the same repository', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('u', [{ name: 'foo', version: '2.0', release: '1' }]);
    const cache = join(f.root, 'cache');
    const results = await Promise.all([1, 2, 3].map(() => makeRepository(rpms, cache)));
    assert.equal(new Set(results.map((r) => r.path)).size, 1);
    assert.deepEqual(readdirSync(join(cache, 'repos')), [results[0]?.digest], 'no temporary directory is left behind');
    const inside = readdirSync(results[0]?.path ?? '').sort();
    assert.deepEqual(inside, [COMPLETE_MARKER, 'foo-2.0-1.noarch.rpm', 'repodata']);
  });

  it('refuses two different RPMs with the same file name', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const a = f.update('a', [{ name: 'foo', version: '2.0', release: '1' }]);
    const b = f.update('b', [{ name: 'foo', version: '2.0', release: '1', files: { '/usr/share/foo/README': 'other\n' } }]);
    await assert.rejects(makeRepository([...a, ...b], join(f.root, 'cache')), /share the file name foo-2\.0-1\.noarch\.rpm/);
  });

  it('views a bare production directory through a cached repository, and a URL as it is', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const input = f.input([]);
    const first = await productionRepo(input);
    assert.ok(first.location.startsWith(join(input.cacheDir, 'repos')));
    assert.deepEqual(await productionRepo(input), first);
    assert.deepEqual(await productionRepo({ ...input, production: 'https://example.org/juno/epel-7/' }),
      { id: 'production', location: 'https://example.org/juno/epel-7/' });
  });
});
