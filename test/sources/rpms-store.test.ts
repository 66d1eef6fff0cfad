import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchAndRecord } from '../../src/drivers/sources/fetch-and-record.js';
import { localSource } from '../../src/drivers/sources/local-source.js';
import { tempDir } from '../helpers/paths.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { build } from './fixtures.js';

const T0 = 1_700_000_000_000;
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

forEachStore('records fetched RPMs with their SHA-256 and lists them by build', async ({ store }) => {
  const first = await store.recordRpms({ buildId: 'foo-1.0-1.el7', source: 'cbs', rpms: [{ fileName: 'foo-1.0-1.el7.noarch.rpm', sha256: A, size: 10 }, { fileName: 'foo-1.0-1.el7.src.rpm', sha256: B, size: 20 }], now: T0 });
  assert.deepEqual(first, { ok: true, recorded: 2 });
  const again = await store.recordRpms({ buildId: 'foo-1.0-1.el7', source: 'cbs', rpms: [{ fileName: 'foo-1.0-1.el7.noarch.rpm', sha256: A, size: 10 }], now: T0 + 1 });
  assert.deepEqual(again, { ok: true, recorded: 0 });
  assert.deepEqual(await store.listRpms('foo-1.0-1.el7'), [
    { buildId: 'foo-1.0-1.el7', source: 'cbs', fileName: 'foo-1.0-1.el7.noarch.rpm', runId: null, sha256: A, size: 10, fetchedAt: T0 },
    { buildId: 'foo-1.0-1.el7', source: 'cbs', fileName: 'foo-1.0-1.el7.src.rpm', runId: null, sha256: B, size: 20, fetchedAt: T0 },
  ]);
  assert.deepEqual(await store.listRpms('bar-1-1'), []);
});

forEachStore('refuses a known RPM with another SHA-256 and writes nothing of the call', async ({ store }) => {
  await store.recordRpms({ buildId: 'foo-1.0-1.el7', source: 'koji', rpms: [{ fileName: 'foo-1.0-1.el7.noarch.rpm', sha256: A, size: 10 }], now: T0 });
  const changed = await store.recordRpms({
    buildId: 'foo-1.0-1.el7',
    source: 'koji',
    rpms: [{ fileName: 'foo-1.0-1.el7.src.rpm', sha256: A, size: 5 }, { fileName: 'foo-1.0-1.el7.noarch.rpm', sha256: B, size: 10 }],
    now: T0 + 1,
  });
  assert.deepEqual(changed, { ok: false, code: 'checksum_changed', fileName: 'foo-1.0-1.el7.noarch.rpm', knownSha256: A, newSha256: B });
  assert.deepEqual((await store.listRpms('foo-1.0-1.el7')).map((r) => r.fileName), ['foo-1.0-1.el7.noarch.rpm']);
  // The same file from another source is another record.
  assert.deepEqual(await store.recordRpms({ buildId: 'foo-1.0-1.el7', source: 'cbs', rpms: [{ fileName: 'foo-1.0-1.el7.noarch.rpm', sha256: B, size: 10 }], now: T0 }), { ok: true, recorded: 1 });
});

forEachStore('a fetch whose RPM the store knows with other bytes fails as infra and keeps no file', async ({ store }, t) => {
  const root = tempDir(t);
  writeFileSync(join(root, 'bar-1-1.noarch.rpm'), 'first bytes');
  const source = localSource({ path: root });
  const first = await fetchAndRecord(source, build({ id: 'bar-1-1' }), tempDir(t), { store, sourceName: 'mirror', now: T0 });
  assert.ok(first.ok);
  assert.equal((await store.listRpms('bar-1-1'))[0]?.sha256, first.value[0]?.sha256);

  writeFileSync(join(root, 'bar-1-1.noarch.rpm'), 'other bytes');
  const dest = tempDir(t);
  const again = await fetchAndRecord(source, build({ id: 'bar-1-1' }), dest, { store, sourceName: 'mirror', now: T0 + 1 });
  assert.equal(again.ok, false);
  if (!again.ok) {
    assert.equal(again.fault, 'infra');
    assert.match(again.message, /^checksum changed between fetches: bar-1-1\.noarch\.rpm of build bar-1-1 from mirror was sha256 [0-9a-f]{64}, now [0-9a-f]{64}; nothing of this fetch was kept$/);
  }
  assert.deepEqual(readdirSync(dest), []);
});
