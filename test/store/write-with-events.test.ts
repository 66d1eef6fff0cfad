import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { postgresAdapter, sqliteAdapter, type DialectAdapter, type EventRow } from '../../src/store/adapter.js';
import { connectSqlite } from '../../src/store/sqlite-connection.js';
import { parseStoreUrl } from '../../src/store/url.js';
import type { Database } from '../../src/store/schema.js';
import type { Store } from '../../src/store/index.js';
import { claimAs } from '../helpers/claim.js';
import { imagesRun } from '../helpers/run-records.js';
import { forEachStore } from '../helpers/store-matrix.js';

// A transition's events, and on PostgreSQL its COMMIT, go in one message of literals
// (DialectAdapter.writeWithEvents): what any text does there, and what a failure leaves.

const T0 = 1_700_000_000_000;
/** Quotes, backslashes, dollar quoting, a statement separator, a comment, newlines, non-ASCII. */
const AWKWARD = `it's "quoted" \\ back\\\\slash \\' $1 $$ $tag$ ; commit; -- not a comment\n/* nor this */ E'x' tab\there 新しい 🚀`;

async function direct(url: string): Promise<{ db: Kysely<Database>; adapter: DialectAdapter; close: () => Promise<void> }> {
  const location = parseStoreUrl(url);
  if (location.dialect === 'sqlite') {
    const { db } = connectSqlite(location.file, { busyTimeoutMs: 5000, synchronous: 'normal' });
    return { db, adapter: sqliteAdapter, close: () => db.destroy() };
  }
  const { connectPostgres } = await import('../../src/store/postgres-connection.js');
  const { db } = connectPostgres(location.url, { poolSize: 1 });
  return { db, adapter: postgresAdapter, close: () => db.destroy() };
}

async function oneJob(store: Store): Promise<string> {
  assert.deepEqual(await store.insertRunWithJobs({ run: { id: 'r1', ...imagesRun() }, jobs: [{ id: 'r1/0', target: 't0', kind: 'phase1', maxAttempts: 1 }], now: T0 }), { ok: true });
  const claimed = await claimAs(store, { worker: 'w', now: T0 + 1, leaseMs: 60_000, kinds: ['phase1'] });
  assert.ok(claimed.ok);
  return claimed.job.id;
}

forEachStore('any text in a transition\'s events and rows arrives as written', async ({ store }) => {
  const jobId = await oneJob(store);
  const ended = await store.finishJob({ jobId, worker: 'w', now: T0 + 2, result: 'failure', reason: AWKWARD });
  assert.ok(ended.ok);
  assert.equal((await store.getJob(jobId))?.reason, AWKWARD);
  const finished = (await store.listEvents({ runId: 'r1' })).find((e) => e.kind === 'job.finished');
  assert.equal(finished?.kind === 'job.finished' ? finished.payload.reason : undefined, AWKWARD);
  // The events stayed in order and the run's verdict came with them.
  assert.deepEqual((await store.listEvents({ runId: 'r1' })).map((e) => e.kind), ['run.created', 'run.started', 'job.started', 'job.finished', 'run.finished']);
});

forEachStore('a transition that fails, in its work or in its last message, leaves nothing and its connection usable', async ({ store, url }) => {
  await oneJob(store);
  const { db, adapter, close } = await direct(url);
  try {
    const seqBefore = (await store.listEvents()).at(-1)?.seq;
    // Thrown by the work after a write.
    await assert.rejects(adapter.writeWithEvents(db, async (trx) => {
      await trx.updateTable('runs').set({ reason: 'written, then thrown' }).where('id', '=', 'r1').execute();
      throw new Error('the work failed');
    }), /the work failed/);
    // Refused by the database in the message that carries the events (a row without a kind).
    const bad: EventRow = { at: T0, kind: null as unknown as string, run_id: 'r1', job_id: null, payload: '{}' };
    await assert.rejects(adapter.writeWithEvents(db, async (trx) => {
      await trx.updateTable('runs').set({ reason: 'written before a bad event' }).where('id', '=', 'r1').execute();
      return { value: undefined, rows: [bad], wake: 'work' };
    }));
    assert.equal((await store.getRun('r1'))?.reason ?? null, null);
    assert.equal((await store.listEvents()).at(-1)?.seq, seqBefore);
    // The same (one, on PostgreSQL) connection commits the next transaction whole.
    const value = await adapter.writeWithEvents(db, async (trx) => {
      await trx.updateTable('runs').set({ reason: AWKWARD }).where('id', '=', 'r1').execute();
      return { value: 7, rows: [{ at: T0 + 5, kind: 'run.reported', run_id: 'r1', job_id: null, payload: '{}' }], wake: false };
    });
    assert.equal(value, 7);
    assert.equal((await store.getRun('r1'))?.reason, AWKWARD);
    assert.deepEqual((await store.listEvents()).slice(-1).map((e) => [e.kind, e.runId]), [['run.reported', 'r1']]);
  } finally {
    await close();
  }
});
