import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database as Schema } from './schema.js';

export interface PostgresOptions {
  /** Upper bound on pooled connections. */
  poolSize: number;
}

const INT8_OID = 20;

// Timestamps and sequence numbers are bigint columns; pg returns int8 as a string
// unless told otherwise. Parsing is set on this pool only: pg's global parsers are
// shared by every user of the module in the process.
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} does not fit a JavaScript number`);
  return value;
}

const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  oid === INT8_OID && format !== 'binary'
    ? parseInt8
    : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

export function connectPostgres(url: string, options: PostgresOptions): { db: Kysely<Schema>; release: () => void } {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize, types: { getTypeParser } });
  // An idle client that loses its server is dropped by the pool; the next query
  // reports the outage. Without a listener the 'error' event would end the process.
  pool.on('error', () => {});
  return { db: new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }), release: () => {} };
}
