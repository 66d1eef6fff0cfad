import type { Kysely } from 'kysely';
import type { DialectAdapter } from './adapter.js';
import type { Database } from './schema.js';

/** What every operation module needs; never leaves src/store. */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly adapter: DialectAdapter;
}

/** Runs `work` as one write transaction: all of it commits, or none of it. */
export function write<T>(ctx: StoreContext, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return ctx.db.transaction().execute(work);
}
