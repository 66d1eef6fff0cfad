import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { conflicts } from '../../../src/drivers/checks/conflicts.js';
import { buildRpm, requireRpmTools } from '../../helpers/rpm.js';
import { fixture } from './fixtures.js';

describe('conflicts', () => {
  it('fails two builds that ship the same path with different content, naming both and the path', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('clash', [
      { name: 'alpha', version: '1.0', release: '1', files: { '/usr/share/x': 'alpha\n', '/usr/share/alpha/a': 'a\n' } },
      { name: 'beta', version: '1.0', release: '1', files: { '/usr/share/x': 'beta\n' } },
    ]);
    const started = Date.now();
    const result = await conflicts(f.input(rpms));
    t.diagnostic(`conflicts failure: ${Date.now() - started} ms`);
    assert.equal(result.status, 'failure');
    assert.deepEqual(result.clashes, [{ path: '/usr/share/x', packages: ['alpha-1.0-1.noarch', 'beta-1.0-1.noarch'] }]);
    assert.equal(result.summary, '1 file conflict: /usr/share/x differs between alpha-1.0-1.noarch and beta-1.0-1.noarch');
  });

  it('passes two builds that ship the same path with the same content', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('same', [
      { name: 'alpha', version: '1.0', release: '1', files: { '/usr/share/x': 'shared\n' } },
      { name: 'beta', version: '1.0', release: '1', files: { '/usr/share/x': 'shared\n', '/usr/share/beta/b': 'b\n' } },
    ]);
    const result = await conflicts(f.input(rpms));
    assert.equal(result.status, 'pass', result.summary);
    assert.deepEqual(result.problems, []);
    assert.match(result.log, /\/usr\/share\/x: alpha-1\.0-1\.noarch [0-9a-f]{64}, beta-1\.0-1\.noarch/);
  });

  it('ignores source RPMs', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = buildRpm(join(f.root, 'srpm-work'), join(f.root, 'srpm'), { name: 'alpha', version: '1.0', release: '1' }, { withSource: true });
    assert.equal(rpms.length, 2);
    const result = await conflicts(f.input(rpms));
    assert.equal(result.summary, 'no file conflicts among 1 package');
  });

  it('is infra when an RPM cannot be read', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const result = await conflicts(f.input([join(f.root, 'missing.rpm')]));
    assert.equal(result.status, 'infra');
  });
});
