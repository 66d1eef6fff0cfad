import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dependencyRow, packageFamily, simDependencies, type DependencyInputs } from '../../src/sim/dependencies.js';
import type { LadderResult } from '../../src/sim/ladder.js';
import type { Submission } from '../../src/sim/traffic.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2015, 5, 1);
const sub = (id: string, hours: number, packages: string[], targets = ['kilo/el7']): Submission => ({ id, submittedAt: T0 + hours * H, targets, packages });

test('a service, its client and its libraries are one package family', () => {
  assert.equal(packageFamily('openstack-nova'), packageFamily('python-novaclient'));
  assert.equal(packageFamily('openstack-glance'), packageFamily('python-glance-store'));
  assert.notEqual(packageFamily('openstack-nova'), packageFamily('openstack-neutron'));
});

test('an update needs the latest earlier update of its family and release within the window, never a rebuild of itself', () => {
  const subs = [
    sub('a', 0, ['openstack-nova']),
    sub('b', 1, ['python-novaclient']),
    sub('c', 2, ['python-novaclient']), // the same packages as b: a rebuild, so it needs a
    sub('d', 3, ['openstack-nova'], ['liberty/el7']), // no release in common
    sub('e', 40, ['openstack-nova']), // more than a day after c
    sub('f', 41, ['openstack-neutron']), // another family
  ];
  assert.deepEqual([...simDependencies(subs, { kind: 'family', windowMs: D }, 1)], [['b', 'a'], ['c', 'a']]);
  assert.deepEqual([...simDependencies(subs, { kind: 'family', windowMs: 2 * D }, 1)], [['b', 'a'], ['c', 'a'], ['e', 'c']]);
  assert.deepEqual([...simDependencies(subs, { kind: 'none' }, 1)], []);
  // A share: any earlier update of a shared release is a candidate; the seed decides who needs one.
  assert.deepEqual([...simDependencies(subs, { kind: 'share', share: 1, windowMs: D }, 1)], [['b', 'a'], ['c', 'a'], ['f', 'e']]);
  assert.deepEqual([...simDependencies(subs, { kind: 'share', share: 0, windowMs: D }, 1)], []);
});

/** A ladder in which a merged update reaches ready/ 2h and production 10h after its merge. */
function straightLadder(subs: readonly Submission[]) {
  return (mergedAt: ReadonlyMap<string, number | null>): LadderResult => ({
    updates: subs.map((s) => {
      const m = mergedAt.get(s.id) ?? null;
      return { id: s.id, submittedAt: s.submittedAt, mergedAt: m, readyAt: m === null ? null : m + 2 * H, productionAt: m === null ? null : m + 10 * H, culpritTimes: 0, dropped: false };
    }),
    phase2: [], promotes: [],
  });
}

function inputs(dependencyPasses: boolean): DependencyInputs {
  const subs = [sub('dep', 0, ['python-oslo-concurrency']), sub('user', 3, ['openstack-nova'])];
  return {
    subs, needs: new Map([['user', 'dep']]),
    phase1: new Map([
      ['dep', { passed: dependencyPasses, verdictAt: T0 + H, ownMs: H }],
      ['user', { passed: true, verdictAt: T0 + 4 * H, ownMs: H }],
    ]),
    ladder: straightLadder(subs),
  };
}

test('tested against production only, a dependant fails until its dependency is published; on top of updates/ or with it, it passes', () => {
  const production = dependencyRow(inputs(true), 'production');
  // dep is published at 1h + 10h; user, rechecked then, merges an hour later and is published 10h after.
  assert.deepEqual({ ...production, toProductionMs: production.toProductionMs.median }, { base: 'production', dependants: 1, falseRed: 1, held: 0, production: 1, toProductionMs: 22 * H - 3 * H });
  const updates = dependencyRow(inputs(true), 'updates');
  assert.equal(updates.falseRed, 0);
  assert.equal(updates.toProductionMs.median, 14 * H - 3 * H);
  const withIt = dependencyRow(inputs(true), 'with');
  assert.equal(withIt.falseRed, 0);
  assert.equal(withIt.toProductionMs.median, 14 * H - 3 * H);
});

test('a dependency that failed its own phase1 holds a dependant tested with it, and fails one tested without it', () => {
  const withIt = dependencyRow(inputs(false), 'with');
  assert.deepEqual([withIt.falseRed, withIt.held, withIt.production], [0, 1, 0]);
  const production = dependencyRow(inputs(false), 'production');
  assert.deepEqual([production.falseRed, production.held, production.production], [1, 0, 0]);
});
