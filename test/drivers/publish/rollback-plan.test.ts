import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseTrees, type KeptTarget } from '../../../src/drivers/publish/rollback.js';
import { parseTreeName } from '../../../src/drivers/publish/tree-layout.js';

// Which tree each target goes to: the pure part of `sluice rollback`.

const kept = (target: string, current: string | null, names: string[]): KeptTarget => ({ target, current, trees: names.map((n) => parseTreeName(n)!) });
const site = [
  kept('kilo/el7', '000003-r-c', ['000001-r-a', '000002-r-b', '000003-r-c']),
  kept('kilo/f22', '000002-r-c', ['000001-r-b', '000002-r-c']),
];
const plan = (k: KeptTarget[], to?: string, explicit = false) => {
  const r = chooseTrees(k, to, explicit);
  return r.ok ? r.switches.map((s) => `${s.target} ${s.from} -> ${s.to}`) : r.error;
};

describe('choosing the trees of a rollback', () => {
  it('goes to each target\'s previous tree by default', () => {
    assert.deepEqual(plan(site), ['kilo/el7 000003-r-c -> 000002-r-b', 'kilo/f22 000002-r-c -> 000001-r-b']);
  });

  it('goes to the tree a run published, on the targets that keep one; by name too; forward as well as back', () => {
    assert.deepEqual(plan(site, 'r-a'), ['kilo/el7 000003-r-c -> 000001-r-a']);
    assert.deepEqual(plan(site, 'r-b'), ['kilo/el7 000003-r-c -> 000002-r-b', 'kilo/f22 000002-r-c -> 000001-r-b']);
    assert.deepEqual(plan(site, '000001-r-b'), ['kilo/f22 000002-r-c -> 000001-r-b']);
    const rolledBack = [kept('kilo/el7', '000002-r-b', ['000001-r-a', '000002-r-b', '000003-r-c'])];
    assert.deepEqual(plan(rolledBack, 'r-c'), ['kilo/el7 000002-r-b -> 000003-r-c']);
  });

  it('refuses, changing nothing, when a named target lacks the tree or a target has no older one', () => {
    assert.match(String(plan([site[1]!], 'r-a', true)), /kilo\/f22 keeps no tree r-a/);
    assert.match(String(plan([kept('kilo/el7', '000001-r-a', ['000001-r-a'])])), /kilo\/el7 keeps no tree older than 000001-r-a/);
    assert.match(String(plan(site, 'r-z')), /no target keeps a tree r-z/);
    assert.match(String(plan(site, 'r-c')), /no target keeps a tree r-c other than the one it shows/);
    assert.match(String(plan([kept('kilo/el7', null, ['000001-r-a'])], undefined, true)), /does not show a tree promote published/);
  });
});
