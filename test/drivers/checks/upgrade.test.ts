import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { upgrade } from '../../../src/drivers/checks/upgrade.js';
import { requireRpmTools } from '../../helpers/rpm.js';
import { closedPortUrl, fixture } from './fixtures.js';

describe('upgrade', () => {
  it('passes packages newer than production, and packages new to the target', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('newer', [
      { name: 'foo', version: '1.0', release: '2.el7', requires: ['bar'] },
      { name: 'baz', version: '2.0^git1', release: '1.el7' },
      { name: 'qux', version: '0.1', release: '1' },
    ]);
    const started = Date.now();
    const result = await upgrade(f.input(rpms));
    t.diagnostic(`upgrade pass: ${Date.now() - started} ms`);
    assert.equal(result.status, 'pass', result.log);
    assert.match(result.log, /qux 0:0\.1-1: new to the target/);
  });

  it('fails a downgrade and an equal version, naming both EVRs of each', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('older', [
      { name: 'foo', version: '0.9', release: '1.el7', requires: ['bar'] },
      { name: 'bar', version: '1.0', release: '1.el7' },
      { name: 'baz', version: '2.0~rc1', release: '1.el7' },
    ]);
    const started = Date.now();
    const result = await upgrade(f.input(rpms));
    t.diagnostic(`upgrade failure: ${Date.now() - started} ms`);
    assert.equal(result.status, 'failure');
    assert.deepEqual(result.problems, [
      'foo: update 0:0.9-1.el7 is older than production 0:1.0-1.el7',
      'bar: update 0:1.0-1.el7 equals production 0:1.0-1.el7',
      'baz: update 0:2.0~rc1-1.el7 is older than production 0:2.0-1.el7',
    ]);
    assert.deepEqual(result.notUpgrades[0], { package: 'foo', update: '0:0.9-1.el7', production: '0:1.0-1.el7' });
    assert.match(result.summary, /^3 packages are not upgrades: foo: update 0:0\.9-1\.el7 is older than production 0:1\.0-1\.el7; /);
  });

  it('compares against the newest build of a name when production holds several', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    for (const p of f.update('bar-1.5', [{ name: 'bar', version: '1.5', release: '1.el7' }])) copyFileSync(p, join(f.production, basename(p)));
    const result = await upgrade(f.input(f.update('bar-1.2', [{ name: 'bar', version: '1.2', release: '1.el7' }])));
    assert.equal(result.status, 'failure');
    assert.deepEqual(result.problems, ['bar: update 0:1.2-1.el7 is older than production 0:1.5-1.el7']);
  });

  it('is infra when the production repository cannot be reached', async (t) => {
    if (!requireRpmTools(t)) return;
    const f = fixture(t);
    const rpms = f.update('net', [{ name: 'foo', version: '2.0', release: '1.el7' }]);
    const result = await upgrade(f.input(rpms, await closedPortUrl()));
    assert.equal(result.status, 'infra', result.log);
  });
});
