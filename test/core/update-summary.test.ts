import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicMatches, updateSummary } from '../../src/core/update-summary.js';

const b = (repo: string, dist: string) => ({ repo, dist });

describe('update summary (the Gerrit topic rdopkg gives)', () => {
  it('follows each release with its dists', () => {
    assert.equal(updateSummary([b('kilo', 'f22'), b('kilo', 'el7'), b('kilo', 'f22')]), 'kilo_f22_el7');
  });

  it('sorts releases and joins them with /', () => {
    assert.equal(updateSummary([b('kilo', 'el7'), b('icehouse', 'epel-6'), b('juno', 'epel-7'), b('icehouse', 'fedora-20')]),
      'icehouse_epel-6_fedora-20/juno_epel-7/kilo_el7');
  });

  it('sorts by code point as Python does, not by locale', () => {
    assert.equal(updateSummary([b('kilo', 'el7'), b('Z', 'el7')]), 'Z_el7/kilo_el7');
  });

  it('matches a topic whose dists come in another order (rdopkg kept them in a set)', () => {
    const builds = [b('kilo', 'f22'), b('kilo', 'el7'), b('juno', 'epel-7')];
    assert.ok(topicMatches('juno_epel-7/kilo_el7_f22', builds));
    assert.ok(topicMatches('juno_epel-7/kilo_f22_el7', builds));
  });

  it('refuses topics naming other releases, missing or extra dists, or unsorted releases', () => {
    const builds = [b('kilo', 'f22'), b('juno', 'epel-7')];
    for (const t of ['kilo_f22', 'juno_epel-7/kilo_f22_el7', 'kilo_f22/juno_epel-7', 'juno_epel-7/kilo_f23', 'juno_epel-7/kilo', 'juno_epel-7/kilo_f22/liberty_el7', '']) {
      assert.equal(topicMatches(t, builds), false, t);
    }
  });
});
