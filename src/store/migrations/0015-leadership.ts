import type { StoreMigration } from './migration.js';

// One leader per role among the `sluice serve` processes sharing a store (the scheduler
// and the triggers are the `service` role's): a lease row with its holder and expiry,
// renewed by the holder's heartbeat and taken over once it expired. `term` grows by one
// at every taking: a holder renews only the term it took, so a leader that was taken over
// (a long pause, a lost connection) can never renew itself back past its successor.
export const leadership: StoreMigration = {
  name: '0015-leadership',
  async up(db) {
    await db.schema.createTable('leadership')
      .addColumn('role', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text')
      .addColumn('term', 'bigint', (c) => c.notNull())
      .addColumn('acquired_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .execute();
  },
};
