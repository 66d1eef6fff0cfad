import assert from 'node:assert/strict';
import { forEachStore } from '../helpers/store-matrix.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

forEachStore('a target is enabled until someone disables it', async ({ store }) => {
  assert.deepEqual(await store.getTargetState('juno/epel-7', T0), { target: 'juno/epel-7', disabled: false });
  assert.deepEqual(await store.listTargetStates(T0), []);
});

forEachStore('disabling keeps the reason, who and since', async ({ store }) => {
  const result = await store.disableTarget({ target: 'juno/epel-7', reason: 'EPEL mirror broken', by: 'alice', now: T0 });
  const expected = {
    target: 'juno/epel-7',
    disabled: true,
    reason: 'EPEL mirror broken',
    disabledBy: 'alice',
    disabledAt: T0,
    until: null,
  };
  assert.deepEqual(result, { ok: true, state: expected });
  assert.deepEqual(await store.getTargetState('juno/epel-7', T0 + HOUR), expected);
  await store.disableTarget({ target: 'icehouse/fedora-20', reason: 'EOL', by: 'bob', now: T0 + 1 });
  assert.deepEqual(
    (await store.listTargetStates(T0 + HOUR)).map((s) => [s.target, s.disabled]),
    [
      ['icehouse/fedora-20', true],
      ['juno/epel-7', true],
    ],
  );
});

forEachStore('disabling again replaces the reason, who and since', async ({ store }) => {
  await store.disableTarget({ target: 'juno/epel-7', reason: 'mirror broken', by: 'alice', now: T0 });
  await store.disableTarget({ target: 'juno/epel-7', reason: 'packstack regression', by: 'bob', now: T0 + HOUR });
  const state = await store.getTargetState('juno/epel-7', T0 + HOUR);
  assert.ok(state.disabled);
  assert.equal(state.reason, 'packstack regression');
  assert.equal(state.disabledBy, 'bob');
  assert.equal(state.disabledAt, T0 + HOUR);
});

forEachStore('a disable with an expiry lapses at until, by the caller clock', async ({ store }) => {
  const until = T0 + 2 * HOUR;
  await store.disableTarget({ target: 'juno/epel-7', reason: 'rebuilding images', by: 'alice', now: T0, until });
  assert.equal((await store.getTargetState('juno/epel-7', until - 1)).disabled, true);
  assert.deepEqual(await store.getTargetState('juno/epel-7', until), { target: 'juno/epel-7', disabled: false });
  assert.deepEqual(await store.listTargetStates(until + 1), [{ target: 'juno/epel-7', disabled: false }]);
  const enabled = await store.enableTarget({ target: 'juno/epel-7', by: 'bob', now: until });
  assert.deepEqual(enabled, { ok: false, code: 'not_disabled' }, 'a lapsed disable needs no enabling');
});

forEachStore('refuses an expiry that is not after now', async ({ store }) => {
  const result = await store.disableTarget({ target: 'juno/epel-7', reason: 'x', by: 'alice', now: T0, until: T0 });
  assert.deepEqual(result, { ok: false, code: 'until_not_after_now' });
  assert.equal((await store.getTargetState('juno/epel-7', T0)).disabled, false);
  assert.deepEqual(await store.listEvents(), []);
});

forEachStore('enabling a disabled target returns what it was and records who', async ({ store }) => {
  await store.disableTarget({ target: 'juno/epel-7', reason: 'mirror broken', by: 'alice', now: T0, until: T0 + HOUR });
  const result = await store.enableTarget({ target: 'juno/epel-7', by: 'bob', now: T0 + 60_000 });
  assert.ok(result.ok);
  assert.equal(result.previous.reason, 'mirror broken');
  assert.equal(result.previous.disabledBy, 'alice');
  assert.deepEqual(await store.getTargetState('juno/epel-7', T0 + 60_000), { target: 'juno/epel-7', disabled: false });
});

forEachStore('enabling a target that is not disabled is a result code, not an error', async ({ store }) => {
  assert.deepEqual(await store.enableTarget({ target: 'juno/epel-7', by: 'bob', now: T0 }), {
    ok: false,
    code: 'not_disabled',
  });
  await store.disableTarget({ target: 'juno/epel-7', reason: 'r', by: 'alice', now: T0 });
  assert.equal((await store.enableTarget({ target: 'juno/epel-7', by: 'bob', now: T0 + 1 })).ok, true);
  assert.deepEqual(await store.enableTarget({ target: 'juno/epel-7', by: 'bob', now: T0 + 2 }), {
    ok: false,
    code: 'not_disabled',
  });
});

forEachStore('disable and enable each append their event in the same transaction', async ({ store }) => {
  await store.disableTarget({ target: 'juno/epel-7', reason: 'mirror broken', by: 'alice', now: T0, until: T0 + HOUR });
  await store.enableTarget({ target: 'juno/epel-7', by: 'bob', now: T0 + 5 });
  await store.enableTarget({ target: 'juno/epel-7', by: 'carol', now: T0 + 6 });
  const events = await store.listEvents();
  assert.deepEqual(
    events.map((e) => [e.kind, e.at, e.payload]),
    [
      ['target.disabled', T0, { target: 'juno/epel-7', reason: 'mirror broken', by: 'alice', until: T0 + HOUR }],
      ['target.enabled', T0 + 5, { target: 'juno/epel-7', by: 'bob', was: { reason: 'mirror broken', by: 'alice', since: T0 } }],
    ],
  );
});

forEachStore('racing enables of one disabled target: exactly one wins', async (f) => {
  await f.store.disableTarget({ target: 'juno/epel-7', reason: 'r', by: 'alice', now: T0 });
  const stores = [f.store, await f.open(), await f.open()];
  const results = await Promise.all(stores.map((s, i) => s.enableTarget({ target: 'juno/epel-7', by: `op${i}`, now: T0 + 1 })));
  assert.equal(results.filter((r) => r.ok).length, 1);
  assert.equal((await f.store.listEvents()).filter((e) => e.kind === 'target.enabled').length, 1);
});
