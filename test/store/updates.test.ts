import assert from 'node:assert/strict';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;
const hkvc = {
  id: 'hkvc',
  path: 'updates/hkvc.yml',
  contentHash: 'sha256:aaa',
  topic: 'openstack-nova',
  author: 'Jakub Ruzicka <jruzicka@redhat.com>',
  data: { notes: 'nova rebase', builds: [{ id: 'openstack-nova-2014.2-1.el7', repo: 'juno', dist: 'epel-7' }] },
};

forEachStore('records a new update and reads it back', async ({ store }) => {
  assert.equal(await store.recordUpdate({ ...hkvc, now: T0 }), 'created');
  assert.deepEqual(await store.getUpdate('hkvc'), {
    id: 'hkvc',
    path: 'updates/hkvc.yml',
    contentHash: 'sha256:aaa',
    topic: 'openstack-nova',
    author: 'Jakub Ruzicka <jruzicka@redhat.com>',
    firstSeenAt: T0,
    updatedAt: T0,
    data: hkvc.data,
  });
  assert.equal(await store.getUpdate('nope'), undefined);
});

forEachStore('an upsert keeps first_seen_at and moves updated_at', async ({ store }) => {
  await store.recordUpdate({ ...hkvc, now: T0 });
  const moved = { ...hkvc, path: 'ready/hkvc.yml', contentHash: 'sha256:bbb', data: { notes: 'respin' } };
  assert.equal(await store.recordUpdate({ ...moved, now: T0 + 10 }), 'changed');
  const record = await store.getUpdate('hkvc');
  assert.equal(record?.firstSeenAt, T0);
  assert.equal(record?.updatedAt, T0 + 10);
  assert.equal(record?.path, 'ready/hkvc.yml');
  assert.deepEqual(record?.data, { notes: 'respin' });
});

forEachStore('recording the same update again changes nothing', async ({ store }) => {
  await store.recordUpdate({ ...hkvc, now: T0 });
  assert.equal(await store.recordUpdate({ ...hkvc, now: T0 + 10 }), 'unchanged');
  assert.equal((await store.getUpdate('hkvc'))?.updatedAt, T0);
});

forEachStore('an update without topic or author stores nulls', async ({ store }) => {
  await store.recordUpdate({ id: 'x1', path: 'updates/x1.yml', contentHash: 'h', data: {}, now: T0 });
  const record = await store.getUpdate('x1');
  assert.equal(record?.topic, null);
  assert.equal(record?.author, null);
});

forEachStore('racing first records of one update: one is created', async (f) => {
  const stores = [f.store, await f.open(), await f.open()];
  const results = await Promise.all(stores.map((s, i) => s.recordUpdate({ ...hkvc, now: T0 + i })));
  assert.deepEqual(results.filter((r) => r === 'created').length, 1);
  const record = await f.store.getUpdate('hkvc');
  assert.ok(record && record.firstSeenAt >= T0 && record.firstSeenAt <= T0 + 2);
});
