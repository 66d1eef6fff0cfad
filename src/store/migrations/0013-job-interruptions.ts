import type { StoreMigration } from './migration.js';

// How many of a job's attempts were lost to the death of the worker running them (and
// given back): a restart or crash of `sluice serve` is not the job's infra failure, but a
// job that keeps killing its worker must still end (engine.interrupted_attempts).
export const jobInterruptions: StoreMigration = {
  name: '0013-job-interruptions',
  async up(db) {
    await db.schema.alterTable('jobs').addColumn('interruptions', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};
