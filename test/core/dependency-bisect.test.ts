import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nextBisectUnits, type GroupResult } from '../../src/core/bisect.js';
import { holdForDependencies, type DependencyPlace } from '../../src/core/dependency-holds.js';
import { dependencyUnits, type UpdateDependency } from '../../src/core/update-dependencies.js';

const edge = (updateId: string, dependsOn: string): UpdateDependency => ({ updateId, dependsOn, how: 'declared', why: `--with ${dependsOn}` });

describe('bisection over units of updates that need each other', () => {
  it('never splits a unit, and blames the whole unit holding the culprit', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 24 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 8 }), fc.nat(), (n, pairs, culpritIndex) => {
      const batch = Array.from({ length: n }, (_, i) => `u${String(i).padStart(2, '0')}`);
      const edges = pairs.map(([a, b]) => edge(batch[a % n] as string, batch[b % n] as string)).filter((e) => e.updateId !== e.dependsOn);
      const units = dependencyUnits(batch, edges);
      const culprit = batch[culpritIndex % n] as string;
      const history: GroupResult[] = [];
      for (let round = 0; round < 100; round++) {
        const d = nextBisectUnits(units, history);
        if (d.kind === 'done') {
          const unit = units.find((u) => u.includes(culprit)) as string[];
          assert.deepEqual(d.culprits, [unit]);
          assert.deepEqual([...d.clean].sort(), batch.filter((id) => !unit.includes(id)).sort());
          return;
        }
        for (const g of d.groups) {
          for (const u of units) assert.ok(u.every((id) => g.includes(id)) || u.every((id) => !g.includes(id)), `split ${u.join('+')} in ${g.join(' ')}`);
          history.push({ group: g, passed: !g.includes(culprit) });
        }
      }
      assert.fail('the bisection did not end');
    }));
  });
});

describe('holding dependants', () => {
  const places = new Map<string, DependencyPlace>([['r', { id: 'r', place: 'ready' }], ['p', { id: 'p', place: 'submitted', detail: 'run r1' }], ['x', { id: 'x', place: 'pushed' }]]);
  it('lets an update go with what it needs in the set or satisfied, and holds chains with the first reason', () => {
    const got = holdForDependencies({
      candidates: ['a', 'b', 'c', 'd', 'e'], held: new Map([['e', 'every target is disabled']]),
      edges: [edge('a', 'r'), edge('a', 'b'), edge('b', 'x'), edge('c', 'p'), edge('d', 'c'), edge('b', 'e')],
      places, satisfied: (p) => p === 'ready' || p === 'pushed',
    });
    assert.deepEqual(got.go, []);
    assert.deepEqual(got.held.map((h) => [h.id, h.why]), [
      ['a', 'needs b (--with b), which waits too: needs e (--with e), which waits too: every target is disabled'],
      ['b', 'needs e (--with e), which waits too: every target is disabled'],
      ['c', 'needs p (--with p), which is still in phase1 (run r1)'],
      ['d', 'needs c (--with c), which waits too: needs p (--with p), which is still in phase1 (run r1)'],
    ]);
  });
  it('promote: ready/ is not enough, only published', () => {
    const got = holdForDependencies({ candidates: ['a', 'b'], held: new Map(), edges: [edge('a', 'b'), edge('b', 'x'), edge('a', 'r')], places, satisfied: (p) => p === 'pushed' });
    assert.deepEqual(got.go, ['b']);
    assert.equal(got.held[0]?.why, 'needs r (--with r), which is in ready/, not published yet');
  });
});
