import type { Kysely } from 'kysely';
import type { DialectAdapter } from './adapter.js';
import { StoreError } from './errors.js';
import type { StoreMigration } from './migrations/index.js';

const LEDGER = 'sluice_migrations';

/**
 * Applies the migrations the database lacks, each in its own transaction together
 * with its ledger row, so a crash leaves the schema at a migration boundary. Safe
 * when several processes open the same database at once: the ledger check and the
 * migration run under one gate (BEGIN IMMEDIATE on SQLite, an advisory lock on
 * PostgreSQL). Returns the names applied now.
 */
export async function migrate(
  db: Kysely<any>,
  adapter: DialectAdapter,
  migrations: readonly StoreMigration[],
): Promise<string[]> {
  const known = new Set(migrations.map((m) => m.name));
  // A store that is up to date (nearly every open) is read without the gate and the DDL:
  // on PostgreSQL they were most of what a short command like `sluice status` waited for.
  // The ledger only grows, each row committed with its migration, so a plain read of it is
  // never ahead of the schema; the loop below checks again under the gate before applying.
  const current = await readLedger(db);
  const applied = current ?? await db.transaction().execute(async (trx) => {
    await adapter.serialise(trx, 'migrations');
    await trx.schema
      .createTable(LEDGER)
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
    const rows = await trx.selectFrom(LEDGER).select('name').execute();
    return new Set(rows.map((r) => r.name as string));
  });

  const unknown = [...applied].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new StoreError(
      'E_STORE_SCHEMA_NEWER',
      `the database has migrations this version of Sluice does not know (${unknown.join(', ')}): upgrade Sluice`,
    );
  }

  const ran: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    const didRun = await db.transaction().execute(async (trx) => {
      await adapter.serialise(trx, 'migrations');
      // Another process may have applied it since the ledger was read.
      const done = await trx.selectFrom(LEDGER).select('name').where('name', '=', migration.name).executeTakeFirst();
      if (done) return false;
      await migration.up(trx, adapter);
      // applied_at is a record for operators, never an input to a decision.
      await trx.insertInto(LEDGER).values({ name: migration.name, applied_at: Date.now() }).execute();
      return true;
    });
    if (didRun) ran.push(migration.name);
  }
  return ran;
}

/** The ledger's names, or undefined when it cannot be read (no ledger yet: a new database). */
async function readLedger(db: Kysely<any>): Promise<Set<string> | undefined> {
  try {
    const rows = await db.selectFrom(LEDGER).select('name').execute();
    return new Set(rows.map((r) => r.name as string));
  } catch {
    return undefined;
  }
}
