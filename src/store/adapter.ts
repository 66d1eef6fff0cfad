import { sql, type CreateTableBuilder, type Kysely, type SelectQueryBuilder, type UpdateQueryBuilder } from 'kysely';
import { wakeNotify, type WakeHint } from './wake-hint.js';

// Every SQL difference between SQLite and PostgreSQL lives here, so queries and
// migrations are written once. SQLite needs no row locks: each write transaction is
// BEGIN IMMEDIATE (see sqlite-connection.ts), so writers already run one at a time.

export type DialectName = 'sqlite' | 'postgres';

/** Writers that must be serialised across connections on PostgreSQL. */
export type SerialGate = 'migrations' | 'events';

export type ConstraintKind = 'unique' | 'foreign_key';

export interface DialectAdapter {
  readonly name: DialectName;
  /**
   * Write transactions run one at a time (SQLite's BEGIN IMMEDIATE): a statement inside
   * one sees every other writer's work committed. On PostgreSQL two of them may each see
   * the other's rows as they were before it.
   */
  readonly writersRunAlone: boolean;
  /** Adds an auto-increment integer primary key column. Shipped migrations call it: keep its output stable. */
  addSerialKey<T extends CreateTableBuilder<string, never>>(table: T, column: string): T;
  /**
   * Locks the selected rows until commit. `skip` passes over rows another
   * transaction holds, which is how concurrent claimers avoid queueing on each other.
   */
  lockRows<Q extends SelectQueryBuilder<any, any, any>>(query: Q, mode: 'wait' | 'skip'): Q;
  /** Holds a transaction-scoped gate until commit. */
  serialise(trx: Kysely<any>, gate: SerialGate): Promise<void>;
  /** Which constraint a driver error violated, if it is a constraint violation. */
  constraintViolation(error: unknown): ConstraintKind | undefined;
  /** Tells listening workers, at commit, that there may be work (see wake-channel.ts). */
  wake(trx: Kysely<any>, hint?: WakeHint): Promise<void>;
  /**
   * Appends event rows behind the events gate, in order, returning their sequence numbers;
   * `wake` also tells listening workers at commit. On PostgreSQL the gate, the rows and the
   * wake-up are one statement: three a transaction were a third of a job's round trips.
   */
  appendEventRows(trx: Kysely<any>, rows: readonly EventRow[], wake: WakeHint | false): Promise<number[]>;
  /**
   * Runs `work` as one write transaction that ends by appending the event rows it returns
   * (as appendEventRows, `wake` likewise) and committing. On PostgreSQL the rows and the
   * COMMIT travel in one message: the events gate is then held for the server's time
   * only, not also for a round trip through a busy engine's event loop, which was what
   * a fan-out's 32 finishing transactions queued on.
   */
  writeWithEvents<T>(db: Kysely<any>, work: (trx: Kysely<any>) => Promise<EndOfWrite<T>>): Promise<T>;
  /**
   * One UPDATE and, for each row it changed, one event (of that row's run): whether it
   * changed any. On PostgreSQL a single statement that commits on its own, one round trip
   * where a transaction takes three; elsewhere a write transaction.
   */
  updateWithEvent(db: Kysely<any>, update: (db: Kysely<any>) => RunRowsUpdate, event: Omit<EventRow, 'run_id'>): Promise<boolean>;
}

/** An UPDATE of some table returning the changed rows' run (updateWithEvent). */
export type RunRowsUpdate = UpdateQueryBuilder<any, any, any, { run_id: string | null }>;

/** What a write transaction returns to writeWithEvents: its value, and the events to append before its commit. */
export interface EndOfWrite<T> {
  readonly value: T;
  readonly rows: readonly EventRow[];
  readonly wake: WakeHint | false;
}

/** Events one statement inserts at most: well under SQLite's bound-parameter limit. */
export const EVENTS_PER_INSERT = 200;

/** An events row as written (the payload already JSON text). */
export interface EventRow {
  readonly at: number;
  readonly kind: string;
  readonly run_id: string | null;
  readonly job_id: string | null;
  readonly payload: string;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',
  writersRunAlone: true,
  addSerialKey(table, column) {
    return table.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement()) as typeof table;
  },
  lockRows(query) {
    return query;
  },
  async serialise() {
    // The BEGIN IMMEDIATE that opened the transaction already holds the write lock.
  },
  async wake() {
    // One host: the engine's in-process hints and its poll serve SQLite.
  },
  async appendEventRows(trx, rows) {
    // The BEGIN IMMEDIATE that opened the transaction already serialises writers.
    const inserted = await trx.insertInto('events').values([...rows]).returning('seq').execute();
    return inserted.map((r: { seq: number }) => Number(r.seq));
  },
  updateWithEvent(db, update, event) {
    return db.transaction().execute(async (trx) => {
      const changed = await update(trx).execute();
      if (changed.length > 0) await this.appendEventRows(trx, changed.map((row) => ({ ...event, run_id: row.run_id })), false);
      return changed.length > 0;
    });
  },
  writeWithEvents(db, work) {
    return db.transaction().execute(async (trx) => {
      const end = await work(trx);
      for (let at = 0; at < end.rows.length; at += EVENTS_PER_INSERT) await this.appendEventRows(trx, end.rows.slice(at, at + EVENTS_PER_INSERT), false);
      return end.value;
    });
  },
  constraintViolation(error) {
    const code = errorCode(error);
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') return 'unique';
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key';
    return undefined;
  },
};

// Advisory lock keys: arbitrary constants, unique within the database ("sl" + n).
const GATE_KEYS: Record<SerialGate, number> = { migrations: 0x736c_0001, events: 0x736c_0002 };

export const postgresAdapter: DialectAdapter = {
  name: 'postgres',
  writersRunAlone: false,
  addSerialKey(table, column) {
    return table.addColumn(column, 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity()) as typeof table;
  },
  lockRows(query, mode) {
    const locked = query.forUpdate();
    return (mode === 'skip' ? locked.skipLocked() : locked) as typeof query;
  },
  async serialise(trx, gate) {
    await sql`select pg_advisory_xact_lock(${GATE_KEYS[gate]})`.execute(trx);
  },
  async wake(trx, hint = 'work') {
    // Delivered at commit, once per transaction however often it is called.
    await sql.raw(wakeNotify(hint)).execute(trx);
  },
  async appendEventRows(trx, rows, wake) {
    // The gate is a materialized CTE the insert reads from, so it is taken before the
    // first row gets its sequence number (see insertEvent in events.ts for why).
    const values = rows.map((r) => sql`(${r.at}::bigint, ${r.kind}::text, ${r.run_id}::text, ${r.job_id}::text, ${r.payload}::text)`);
    const gate = wake
      ? sql`select pg_advisory_xact_lock(${GATE_KEYS.events}), ${sql.raw(wakeNotify(wake).replace(/^select /, ''))}`
      : sql`select pg_advisory_xact_lock(${GATE_KEYS.events})`;
    const inserted = await sql<{ seq: string | number }>`
      with gate as materialized (${gate})
      insert into events (at, kind, run_id, job_id, payload)
      select v.at, v.kind, v.run_id, v.job_id, v.payload from gate cross join (values ${sql.join(values)}) as v (at, kind, run_id, job_id, payload)
      returning seq`.execute(trx);
    return inserted.rows.map((r) => Number(r.seq));
  },
  async updateWithEvent(db, update, event) {
    // The gate is materialized and read by the insert, so it is held before a sequence number
    // is taken (see appendEventRows); the UPDATE runs whether or not anything reads it.
    const inserted = await sql<{ seq: string | number }>`
      with changed as (${update(db)}), gate as materialized (select pg_advisory_xact_lock(${GATE_KEYS.events}))
      insert into events (at, kind, run_id, job_id, payload)
      select ${event.at}::bigint, ${event.kind}::text, changed.run_id, ${event.job_id}::text, ${event.payload}::text from gate cross join changed
      returning seq`.execute(db);
    return inserted.rows.length > 0;
  },
  async writeWithEvents(db, work) {
    // Kysely's transaction() would send COMMIT on its own; this connection's begins and
    // ends here instead, so the commit can ride with the events.
    const { default: pg } = await import('pg');
    return db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      try {
        const end = await work(conn);
        const statements: string[] = [];
        for (let at = 0; at < end.rows.length; at += EVENTS_PER_INSERT) {
          statements.push(eventsInsertText(end.rows.slice(at, at + EVENTS_PER_INSERT), at === 0 ? end.wake : false, pg.escapeLiteral));
        }
        if (end.rows.length === 0 && end.wake) statements.push(wakeNotify(end.wake));
        // Several statements in one message need the simple query protocol, so the values
        // are literals (pg's own quoting) rather than parameters. An error in any of them
        // ends the message before the COMMIT; the rollback below ends the transaction.
        await sql.raw([...statements, 'commit'].join(';\n')).execute(conn);
        return end.value;
      } catch (error) {
        // After a failed COMMIT no transaction is open, and ROLLBACK only warns.
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw error;
      }
    });
  },
  constraintViolation(error) {
    const code = errorCode(error);
    if (code === '23505') return 'unique';
    if (code === '23503') return 'foreign_key';
    return undefined;
  },
};

/** The events gate and insert of appendEventRows on PostgreSQL, as one statement's text with its values quoted. */
function eventsInsertText(rows: readonly EventRow[], wake: WakeHint | false, quote: (text: string) => string): string {
  const text = (value: string | null) => (value === null ? 'null' : quote(value));
  const values = rows.map((r) => {
    if (!Number.isSafeInteger(r.at)) throw new RangeError(`event time must be an integer, got ${r.at}`);
    return `(${r.at}::bigint, ${text(r.kind)}::text, ${text(r.run_id)}::text, ${text(r.job_id)}::text, ${text(r.payload)}::text)`;
  });
  const gate = `select pg_advisory_xact_lock(${GATE_KEYS.events})${wake ? `, ${wakeNotify(wake).replace(/^select /, '')}` : ''}`;
  return `with gate as materialized (${gate})
      insert into events (at, kind, run_id, job_id, payload)
      select v.at, v.kind, v.run_id, v.job_id, v.payload from gate cross join (values ${values.join(', ')}) as v (at, kind, run_id, job_id, payload)`;
}
