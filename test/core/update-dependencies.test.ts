import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dependantsOf, dependenciesOf, dependencyUnits, findCycle, type UpdateDependency } from '../../src/core/update-dependencies.js';

const edge = (updateId: string, dependsOn: string): UpdateDependency => ({ updateId, dependsOn, how: 'declared', why: 'test' });

test('a cycle is found with the path that closes it; a diamond is no cycle', () => {
  assert.deepEqual(findCycle([edge('a', 'b'), edge('b', 'c'), edge('c', 'a')]), ['a', 'b', 'c', 'a']);
  assert.deepEqual(findCycle([edge('a', 'a')]), ['a', 'a']);
  assert.equal(findCycle([edge('a', 'b'), edge('a', 'c'), edge('b', 'd'), edge('c', 'd')]), undefined);
  assert.equal(findCycle([]), undefined);
});

test('what an update needs is transitive, nearest first; what needs it is the reverse', () => {
  const edges = [edge('a', 'b'), edge('b', 'c'), edge('a', 'd'), edge('x', 'c')];
  assert.deepEqual(dependenciesOf('a', edges), ['b', 'd', 'c']);
  assert.deepEqual(dependenciesOf('c', edges), []);
  assert.deepEqual(dependantsOf('c', edges).sort(), ['a', 'b', 'x']);
  // A cycle does not loop.
  assert.deepEqual(dependenciesOf('a', [edge('a', 'b'), edge('b', 'a')]), ['b']);
});

test('units join updates that need each other within the set, in the set\'s order', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  assert.deepEqual(dependencyUnits(ids, [edge('d', 'b'), edge('e', 'd')]), [['a'], ['b', 'd', 'e'], ['c']]);
  // An edge to an update outside the set joins nothing.
  assert.deepEqual(dependencyUnits(['a', 'c'], [edge('a', 'b'), edge('c', 'b')]), [['a'], ['c']]);
  assert.deepEqual(dependencyUnits([], [edge('a', 'b')]), []);
});
