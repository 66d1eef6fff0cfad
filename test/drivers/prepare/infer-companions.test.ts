import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inferCompanions, type PendingUpdate } from '../../../src/drivers/prepare/infer-companions.js';
import { tempDir } from '../../helpers/paths.js';
import { buildRpm, requireRpmTools } from '../../helpers/rpm.js';

const pending = (id: string): PendingUpdate => ({ id, contentHash: `${id}-hash`, where: 'updates/', builds: [] });

test('inference adds the pending updates that provide what production lacks, their own needs too, and none that production or a too-old build answers', async (t) => {
  if (!requireRpmTools(t)) return;
  const dir = tempDir(t);
  const work = join(dir, 'rpmbuild');
  mkdirSync(join(dir, 'tmp'));
  const production = join(dir, 'production');
  buildRpm(work, production, { name: 'python-oslo-concurrency', version: '1.4.1', release: '1.el7' });
  buildRpm(work, production, { name: 'python-six', version: '1.9.0', release: '1.el7' });
  // The update: Nova's API needs a newer oslo.concurrency, any six, and a file.
  const update = buildRpm(work, join(dir, 'nv4a'), { name: 'openstack-nova-api', version: '2015.1.2', release: '1.el7', requires: ['python-oslo-concurrency >= 1.8.0', 'python-six', '/usr/share/python-oslo-i18n/README'] });
  const rpmsOf: Record<string, string[]> = {
    // Too old for Nova, and it would pull in six, which production has: never chosen.
    old1: buildRpm(work, join(dir, 'old1'), { name: 'python-oslo-concurrency', version: '1.6.0', release: '1.el7', provides: ['python-six = 9.0'] }),
    hz8d: buildRpm(work, join(dir, 'hz8d'), { name: 'python-oslo-concurrency', version: '1.9.0', release: '1.el7', requires: ['python-fasteners >= 0.7'] }),
    // Provides what hz8d needs: found in the second round.
    fa57: buildRpm(work, join(dir, 'fa57'), { name: 'python-fasteners', version: '0.12.0', release: '1.el7' }),
    // Owns the file Nova requires by path.
    i18n: buildRpm(work, join(dir, 'i18n'), { name: 'python-oslo-i18n', version: '1.5.0', release: '1.el7' }),
    unrelated: buildRpm(work, join(dir, 'unrelated'), { name: 'openstack-glance', version: '2015.1.2', release: '1.el7' }),
  };
  const asked: string[] = [];
  const logs: string[] = [];
  const found = await inferCompanions({
    rpms: update, production, releasever: '7', cacheDir: join(dir, 'cache'), workDir: join(dir, 'tmp'),
    pending: ['old1', 'unrelated', 'hz8d', 'fa57', 'i18n'].map(pending), log: (l) => logs.push(l),
    rpmsOf: async (u) => {
      asked.push(u.id);
      return rpmsOf[u.id] ?? 'gone';
    },
  });
  // The update's own needs first (in dnf's order), then what its providers need.
  assert.deepEqual(found.slice(0, 2).map((f) => [f.update.id, f.why]).sort(), [
    ['hz8d', 'provides python-oslo-concurrency >= 1.8.0, required by openstack-nova-api'],
    ['i18n', 'provides /usr/share/python-oslo-i18n/README, required by openstack-nova-api'],
  ]);
  assert.deepEqual(found.slice(2).map((f) => [f.update.id, f.why]), [['fa57', 'provides python-fasteners >= 0.7, required by python-oslo-concurrency']]);
  assert.ok(!found.some((f) => f.update.id === 'old1' || f.update.id === 'unrelated'));
  assert.match(logs.join('\n'), /tested with hz8d \(updates\/\): provides python-oslo-concurrency >= 1\.8\.0, required by openstack-nova-api/);
  assert.equal(asked.filter((id) => id === 'hz8d').length, 1, 'a candidate is fetched and read once');
  assert.ok(readdirSync(join(dir, 'fa57')).length > 0);

  // Production meets everything a glance build needs: nothing is pulled in, whatever is pending.
  const glance = buildRpm(work, join(dir, 'g1an'), { name: 'openstack-glance-api', version: '2015.1.2', release: '1.el7', requires: ['python-oslo-concurrency >= 1.4', 'python-six'] });
  const none = await inferCompanions({
    rpms: glance, production, releasever: '7', cacheDir: join(dir, 'cache'), workDir: join(dir, 'tmp'),
    pending: ['hz8d', 'old1'].map(pending), log: () => {}, rpmsOf: async (u) => rpmsOf[u.id] ?? 'gone',
  });
  assert.deepEqual(none, []);
});
