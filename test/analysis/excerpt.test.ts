import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorExcerpt } from '../../src/analysis/excerpt.js';

describe('error excerpt', () => {
  it('finds the error block at the end of a long log, with its line numbers', () => {
    const log = [...Array.from({ length: 500 }, (_, i) => `Installing package-${i} ... ok`),
      'Running transaction check', 'Error: Package: openstack-nova-api-2015.1.2-1.el7 (sluice-update)',
      '           Requires: python-oslo-config >= 2:1.9.3', 'You could try using --skip-broken', 'done'].join('\n');
    const e = errorExcerpt(log);
    assert.equal(e.totalLines, 505);
    assert.ok(e.lines.includes('Error: Package: openstack-nova-api-2015.1.2-1.el7 (sluice-update)'));
    assert.equal(e.lines[e.firstLine > 0 ? e.lines.indexOf('Error: Package: openstack-nova-api-2015.1.2-1.el7 (sluice-update)') : 0], 'Error: Package: openstack-nova-api-2015.1.2-1.el7 (sluice-update)');
    assert.equal(e.firstLine + e.lines.indexOf('Error: Package: openstack-nova-api-2015.1.2-1.el7 (sluice-update)'), 502);
    assert.ok(e.lines.length <= 12);
  });

  it('falls back to the tail when nothing looks like an error', () => {
    const e = errorExcerpt(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n'), { maxLines: 5 });
    assert.deepEqual(e.lines, ['line 36', 'line 37', 'line 38', 'line 39', 'line 40']);
    assert.equal(e.firstLine, 36);
  });
});
