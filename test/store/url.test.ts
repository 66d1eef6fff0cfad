import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStore, StoreError } from '../../src/store/index.js';
import { join } from 'node:path';
import { sql } from 'kysely';
import { connectSqlite } from '../../src/store/sqlite-connection.js';
import { parseStoreUrl } from '../../src/store/url.js';
import { tempDir } from '../helpers/paths.js';

describe('store URLs', () => {
  it('takes a sqlite path as given, relative or absolute', () => {
    assert.deepEqual(parseStoreUrl('sqlite:.sluice/state.db'), { dialect: 'sqlite', file: '.sluice/state.db', synchronous: 'normal' });
    assert.deepEqual(parseStoreUrl('sqlite:/var/lib/sluice.db'), { dialect: 'sqlite', file: '/var/lib/sluice.db', synchronous: 'normal' });
    assert.deepEqual(parseStoreUrl('sqlite::memory:'), { dialect: 'sqlite', file: ':memory:', synchronous: 'normal' });
  });

  it('syncs every SQLite commit only when the URL asks for synchronous=full', async (t) => {
    assert.deepEqual(parseStoreUrl('sqlite:.sluice/state.db?synchronous=full'), { dialect: 'sqlite', file: '.sluice/state.db', synchronous: 'full' });
    assert.deepEqual(parseStoreUrl('sqlite:a.db?synchronous=normal'), { dialect: 'sqlite', file: 'a.db', synchronous: 'normal' });
    assert.throws(() => parseStoreUrl('sqlite:a.db?synchronous=often'), (e: unknown) => e instanceof StoreError && e.code === 'E_STORE_URL' && /normal or full, not "often"/.test(e.message));
    assert.throws(() => parseStoreUrl('sqlite:?synchronous=full'), (e: unknown) => e instanceof StoreError && /names no file/.test(e.message));
    // What the connection really runs with: 1 is NORMAL, 2 is FULL.
    const dir = tempDir(t);
    for (const [synchronous, level] of [['normal', 1], ['full', 2]] as const) {
      const { db, release } = connectSqlite(join(dir, `${synchronous}.db`), { busyTimeoutMs: 100, synchronous });
      try {
        const rows = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
        assert.equal(rows.rows[0]?.synchronous, level, synchronous);
      } finally {
        await db.destroy();
        release();
      }
    }
  });

  it('passes postgres and postgresql URLs through unchanged', () => {
    const url = 'postgresql://ci:secret@db.example:5432/sluice?sslmode=require';
    assert.deepEqual(parseStoreUrl(url), { dialect: 'postgres', url });
    assert.equal(parseStoreUrl('postgres://localhost/sluice').dialect, 'postgres');
  });

  it('refuses other schemes without echoing credentials', () => {
    assert.throws(
      () => parseStoreUrl('mysql://root:hunter2@db/sluice'),
      (e: unknown) => e instanceof StoreError && e.code === 'E_STORE_URL' && !e.message.includes('hunter2'),
    );
    assert.throws(() => parseStoreUrl('sqlite:'), (e: unknown) => e instanceof StoreError && e.code === 'E_STORE_URL');
  });

  it('opens a private in-memory database with sqlite::memory:', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      assert.equal(store.dialect, 'sqlite');
      await store.disableTarget({ target: 'juno/epel-7', reason: 'mirror down', by: 'alice', now: 1000 });
      assert.equal((await store.getTargetState('juno/epel-7', 2000)).disabled, true);
    } finally {
      await store.close();
    }
    const other = await openStore('sqlite::memory:');
    try {
      assert.equal((await other.getTargetState('juno/epel-7', 2000)).disabled, false, 'each memory store is its own');
    } finally {
      await other.close();
    }
  });
});
