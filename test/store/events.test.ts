import assert from 'node:assert/strict';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { postgresAdapter } from '../../src/store/adapter.js';
import type { Database } from '../../src/store/schema.js';
import { forEachStore } from '../helpers/store-matrix.js';

const T0 = 1_700_000_000_000;

forEachStore('events come back in append order with increasing seq', async ({ store }) => {
  const seqs: number[] = [];
  for (let i = 0; i < 5; i += 1) seqs.push(await store.appendEvent({ at: T0 + 5 - i, kind: 'run.advance_failed', payload: { message: `e${i}` } }));
  assert.deepEqual([...seqs].sort((a, b) => a - b), seqs);
  assert.equal(new Set(seqs).size, 5);
  const events = await store.listEvents();
  assert.deepEqual(events.map((e) => e.kind === 'run.advance_failed' && e.payload.message), ['e0', 'e1', 'e2', 'e3', 'e4']);
  assert.deepEqual(events[2], { seq: seqs[2], at: T0 + 3, kind: 'run.advance_failed', runId: null, jobId: null, payload: { message: 'e2' } });
});

forEachStore('a reader tails events with afterSeq and limit', async ({ store }) => {
  for (let i = 0; i < 7; i += 1) await store.appendEvent({ at: T0 + i, kind: 'run.advance_failed', payload: { message: String(i) } });
  const seen: unknown[] = [];
  let cursor = 0;
  for (;;) {
    const page = await store.listEvents({ afterSeq: cursor, limit: 3 });
    if (page.length === 0) break;
    assert.ok(page.length <= 3);
    seen.push(...page.map((e) => (e.kind === 'run.advance_failed' ? Number(e.payload.message) : e.kind)));
    cursor = page[page.length - 1]!.seq;
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
});

forEachStore('events filter by run', async ({ store }) => {
  const started = { worker: 'w', attempt: 1, lockedUntil: null };
  await store.appendEvent({ at: T0, kind: 'job.started', runId: 'r1', jobId: 'r1/a', payload: started });
  await store.appendEvent({ at: T0, kind: 'job.started', runId: 'r2', jobId: 'r2/a', payload: started });
  await store.appendEvent({ at: T0 + 1, kind: 'job.finished', runId: 'r1', jobId: 'r1/a', payload: { result: 'success', reason: null } });
  const r1 = await store.listEvents({ runId: 'r1' });
  assert.deepEqual(r1.map((e) => [e.kind, e.jobId]), [
    ['job.started', 'r1/a'],
    ['job.finished', 'r1/a'],
  ]);
  assert.equal((await store.listEvents({ runId: 'r1', afterSeq: r1[0]!.seq })).length, 1);
});

forEachStore('concurrent appenders from separate stores lose no event and reuse no seq', async (f) => {
  const stores = [f.store, await f.open(), await f.open()];
  const seqs = await Promise.all(
    stores.flatMap((s, i) => Array.from({ length: 10 }, (_, k) => s.appendEvent({ at: T0, kind: 'run.advance_failed', payload: { message: `${i}.${k}` } }))),
  );
  assert.equal(new Set(seqs).size, 30);
  const events = await f.store.listEvents();
  assert.equal(events.length, 30);
  assert.deepEqual(events.map((e) => e.seq), [...seqs].sort((a, b) => a - b));
});

forEachStore('a payload that is not JSON is refused before anything is written', async ({ store }) => {
  await assert.rejects(store.appendEvent({ at: T0, kind: 'run.advance_failed', payload: { message: (() => 1) as unknown as string } }), TypeError);
  assert.deepEqual(await store.listEvents(), []);
});

forEachStore('the newest event\'s seq is where a reader of what comes next starts: 0 on an empty log', async ({ store }) => {
  assert.equal(await store.latestEventSeq(), 0);
  let last = 0;
  for (let i = 0; i < 3; i++) last = await store.appendEvent({ at: 1_700_000_000_000 + i, kind: 'schedule.armed', runId: 'schedule:phase2', payload: { pipeline: 'phase2', cron: '* * * * *', since: i } });
  assert.equal(await store.latestEventSeq(), last);
  assert.deepEqual(await store.listEvents({ afterSeq: await store.latestEventSeq() }), [], 'nothing after it');
});

forEachStore('an event appended while another transaction holds the events gate gets its number after that transaction\'s later events', async ({ dialect, url }, t) => {
  if (dialect === 'sqlite') { t.skip('SQLite has one writer at a time: BEGIN IMMEDIATE is the gate'); return; }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
  const row = (message: string) => ({ at: T0, kind: 'run.advance_failed', run_id: null, job_id: null, payload: JSON.stringify({ message }) });
  try {
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((r) => { releaseFirst = r; });
    let firstAppended!: () => void;
    const firstHoldsGate = new Promise<void>((r) => { firstAppended = r; });
    const first = db.transaction().execute(async (trx) => {
      const [a] = await postgresAdapter.appendEventRows(trx, [row('first, a')], false);
      firstAppended();
      await firstMayCommit;
      // Numbered after the waiting transaction's insert began: it must still come first.
      const [b] = await postgresAdapter.appendEventRows(trx, [row('first, b')], false);
      return [a, b];
    });
    await firstHoldsGate;
    let secondDone = false;
    const second = db.transaction().execute(async (trx) => postgresAdapter.appendEventRows(trx, [row('second')], 'work')).finally(() => { secondDone = true; });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(secondDone, false, 'the second append waits for the gate');
    releaseFirst();
    const [a, b] = await first;
    const [c] = await second;
    // Numbered before it waited, the second event would sit below one already visible to a
    // reader tailing by seq, which would then skip it when it commits.
    assert.ok((a as number) < (b as number) && (b as number) < (c as number), `sequence ${a}, ${b}, ${c}`);
  } finally {
    await db.destroy();
  }
});
