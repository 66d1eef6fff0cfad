import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openStore, StoreError } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { tempDir } from '../helpers/paths.js';
import { raw } from '../helpers/raw-sql.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { phase1Run } from '../helpers/run-records.js';

describe('migrations', () => {
  it('leave a SQLite store in WAL mode with foreign keys enforced', async (t) => {
    const file = join(tempDir(t), 'sluice.db');
    const store = await openStore(`sqlite:${file}`);
    try {
      const refused = await store.insertRunWithJobs({ run: { id: 'r1', ...phase1Run('ghost'), updateId: 'ghost' }, jobs: [], now: 0 });
      assert.deepEqual(refused, { ok: false, code: 'unknown_update' });
    } finally {
      await store.close();
    }
    const db = new Database(file);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('are named in application order, each once', () => {
    const names = MIGRATIONS.map((m) => m.name);
    assert.deepEqual([...names].sort(), names);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^\d{4}-[a-z0-9-]+$/);
  });
});

forEachStore('opening a store twice applies nothing the second time and keeps the data', async (f) => {
  await f.store.disableTarget({ target: 'juno/epel-7', reason: 'mirror down', by: 'alice', now: 1000 });
  await f.store.close();
  const again = await f.open();
  const state = await again.getTargetState('juno/epel-7', 2000);
  assert.equal(state.disabled, true);
  const third = await f.open();
  assert.equal((await third.listTargetStates(2000)).length, 1);
});

forEachStore('concurrent opens of a fresh database migrate it once', async (f) => {
  const url = await f.freshUrl();
  const stores = await Promise.all([f.open({}, url), f.open({}, url), f.open({}, url)]);
  const seqs = await Promise.all(stores.map((s, i) => s.appendEvent({ at: i, kind: 'run.started', payload: null })));
  assert.equal(new Set(seqs).size, 3);
  const ledger = await raw(url, 'select name from sluice_migrations order by name');
  assert.deepEqual(
    ledger.map((r) => (r as { name: string }).name),
    MIGRATIONS.map((m) => m.name),
  );
});

forEachStore('refuses a database migrated by a newer Sluice', async (f) => {
  await raw(f.url, `insert into sluice_migrations (name, applied_at) values ('9999-from-the-future', 0)`);
  await assert.rejects(f.open(), (e: unknown) => e instanceof StoreError && e.code === 'E_STORE_SCHEMA_NEWER');
});

forEachStore('keeps timestamps as plain numbers, beyond 32 bits', async (f) => {
  const now = 1_767_225_600_123;
  const seq = await f.store.appendEvent({ at: now, kind: 'run.started', payload: null });
  const [event] = await f.store.listEvents({ afterSeq: seq - 1 });
  assert.equal(event?.at, now);
  assert.equal(typeof event?.seq, 'number');
});
