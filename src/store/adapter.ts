import { sql, type CreateTableBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';

// Every SQL difference between SQLite and PostgreSQL lives here, so queries and
// migrations are written once. SQLite needs no row locks: each write transaction is
// BEGIN IMMEDIATE (see sqlite-connection.ts), so writers already run one at a time.

export type DialectName = 'sqlite' | 'postgres';

/** Writers that must be serialised across connections on PostgreSQL. */
export type SerialGate = 'migrations' | 'events';

export type ConstraintKind = 'unique' | 'foreign_key';

export interface DialectAdapter {
  readonly name: DialectName;
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
  wake(trx: Kysely<any>): Promise<void>;
  /**
   * Appends event rows behind the events gate, in order, returning their sequence numbers;
   * `wake` also tells listening workers at commit. On PostgreSQL the gate, the rows and the
   * wake-up are one statement: three a transaction were a third of a job's round trips.
   */
  appendEventRows(trx: Kysely<any>, rows: readonly EventRow[], wake: boolean): Promise<number[]>;
}

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
  async wake(trx) {
    // Delivered at commit, once per transaction however often it is called.
    await sql`select pg_notify('sluice_wake', '')`.execute(trx);
  },
  async appendEventRows(trx, rows, wake) {
    // The gate is a materialized CTE the insert reads from, so it is taken before the
    // first row gets its sequence number (see insertEvent in events.ts for why).
    const values = rows.map((r) => sql`(${r.at}::bigint, ${r.kind}::text, ${r.run_id}::text, ${r.job_id}::text, ${r.payload}::text)`);
    const gate = wake
      ? sql`select pg_advisory_xact_lock(${GATE_KEYS.events}), pg_notify('sluice_wake', '')`
      : sql`select pg_advisory_xact_lock(${GATE_KEYS.events})`;
    const inserted = await sql<{ seq: string | number }>`
      with gate as materialized (${gate})
      insert into events (at, kind, run_id, job_id, payload)
      select v.at, v.kind, v.run_id, v.job_id, v.payload from gate cross join (values ${sql.join(values)}) as v (at, kind, run_id, job_id, payload)
      returning seq`.execute(trx);
    return inserted.rows.map((r) => Number(r.seq));
  },
  constraintViolation(error) {
    const code = errorCode(error);
    if (code === '23505') return 'unique';
    if (code === '23503') return 'foreign_key';
    return undefined;
  },
};
