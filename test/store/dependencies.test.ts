import assert from 'node:assert/strict';
import { forEachStore } from '../helpers/store-matrix.js';
import type { Store } from '../../src/store/index.js';

const T0 = 1_700_000_000_000;

async function update(store: Store, id: string, contentHash: string, now = T0): Promise<void> {
  await store.recordUpdate({ id, path: `updates/${id}.yml`, contentHash, data: { notes: id, builds: [] }, now });
}

forEachStore('declared dependencies bind the content they were declared for, and a new declaration replaces them', async ({ store }) => {
  await update(store, 'nv4a', 'c1');
  await update(store, 'hz8d', 'd1');
  await store.declareDependencies({ updateId: 'nv4a', contentHash: 'c1', dependsOn: [{ id: 'hz8d', why: 'sluice submit --with hz8d' }], by: 'alice', now: T0 });
  const listed = await store.listDependencies(['nv4a']);
  assert.deepEqual(listed.map((d) => [d.updateId, d.dependsOn, d.how, d.why]), [['nv4a', 'hz8d', 'declared', 'sluice submit --with hz8d']]);
  assert.deepEqual(await store.listDependencies(['hz8d']), []);
  assert.deepEqual(await store.listDependencies([]), []);

  // The dependant rebuilt: the old edge binds nothing until declared again for the new content.
  await update(store, 'nv4a', 'c2', T0 + 1);
  assert.deepEqual(await store.listDependencies(), []);
  await store.declareDependencies({ updateId: 'nv4a', contentHash: 'c2', dependsOn: [], by: 'alice', now: T0 + 2 });
  assert.deepEqual(await store.listDependencies(), []);
  const events = (await store.listEvents()).filter((e) => e.kind === 'update.dependencies');
  assert.deepEqual(events.map((e) => e.payload), [
    { update: 'nv4a', content: 'c1', declared: ['hz8d'], by: 'alice' },
    { update: 'nv4a', content: 'c2', declared: [], by: 'alice' },
  ]);
});

forEachStore('an inferred edge never overrides a declared one, and a declaration keeps inferences of the same content', async ({ store }) => {
  await update(store, 'nv4a', 'c1');
  await store.declareDependencies({ updateId: 'nv4a', contentHash: 'c1', dependsOn: [{ id: 'hz8d', why: 'declared' }], by: 'bob', now: T0 });
  await store.inferDependencies({ updateId: 'nv4a', contentHash: 'c1', dependsOn: [{ id: 'hz8d', why: 'provides x' }, { id: 'q7rt', why: 'provides y >= 2' }], now: T0 + 1 });
  const edges = async () => (await store.listDependencies()).map((d) => `${d.updateId}>${d.dependsOn}:${d.how}:${d.why}`);
  assert.deepEqual(await edges(), ['nv4a>hz8d:declared:declared', 'nv4a>q7rt:inferred:provides y >= 2']);
  // Declaring again (a recheck) replaces declarations but keeps what jobs inferred for this content.
  await store.declareDependencies({ updateId: 'nv4a', contentHash: 'c1', dependsOn: [], by: 'bob', now: T0 + 2 });
  assert.deepEqual(await edges(), ['nv4a>q7rt:inferred:provides y >= 2']);
});
