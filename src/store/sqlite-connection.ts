import type { SqliteSync } from './url.js';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase } from 'kysely';
import type { Database as Schema } from './schema.js';
import { gateForFile, type WriteGate } from './write-gate.js';

export interface SqliteOptions {
  /** How long a writer waits for another process's write lock, in ms. */
  busyTimeoutMs: number;
  /** When commits reach the disk (docs/store.md, "Durability"). */
  synchronous: SqliteSync;
}

// Every transaction the store opens writes, so each starts with BEGIN IMMEDIATE:
// taking the write lock up front means a transaction never fails half-way when it
// tries to upgrade a read lock that another writer has invalidated.
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #gate: WriteGate;
  #holding = false;

  constructor(config: ConstructorParameters<typeof SqliteDriver>[0], gate: WriteGate) {
    super(config);
    this.#gate = gate;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#gate.lock();
    this.#holding = true;
    try {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    } catch (error) {
      this.#open();
      throw error;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // On failure Kysely calls rollbackTransaction, which opens the gate.
    await connection.executeQuery(CompiledQuery.raw('commit'));
    this.#open();
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } catch (error) {
      // After SQLITE_FULL or an I/O error SQLite has rolled the transaction back itself;
      // Kysely then reports the error that caused it, which this one must not replace.
      if (!/no transaction is active/.test((error as Error).message)) throw error;
    } finally {
      this.#open();
    }
  }

  #open(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#gate.unlock();
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  readonly #gate: WriteGate;

  constructor(config: ConstructorParameters<typeof SqliteDialect>[0], gate: WriteGate) {
    super(config);
    this.#config = config;
    this.#gate = gate;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#gate);
  }
}

/** Statements kept compiled per connection: the store's own queries are far fewer. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every statement it runs, and compiling SQL cost more
 * than running it (a fifth of the engine's time in the dispatch profile). The store's
 * queries are a fixed set of texts with bound parameters, so the compiled statement of
 * each text is kept, least recently used dropped first. Statements of one connection
 * never overlap (Kysely holds the single connection for each query or transaction), so a
 * cached statement is never asked for while it runs; SQLite recompiles one by itself
 * when a migration changed the schema under it.
 */
function withStatementCache(database: Database.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) cache.delete(sql);
      else statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value as string);
      return statement;
    },
  };
}

/** Opens `file` (`:memory:` for a private in-memory database) in WAL mode. */
export function connectSqlite(file: string, options: SqliteOptions): { db: Kysely<Schema>; release: () => void } {
  const database = new Database(file);
  try {
    database.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    database.pragma('journal_mode = WAL');
    // In WAL mode `normal` syncs at checkpoints, not at each commit: a commit then survives
    // the process's death (every restart the engine is built for) but not the machine's.
    // `full` costs an fsync per commit, several per job, on the engine's one thread.
    database.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    database.pragma('foreign_keys = ON');
    const { gate, release } = gateForFile(file);
    return { db: new Kysely<Schema>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }, gate) }), release };
  } catch (error) {
    database.close();
    throw error;
  }
}
