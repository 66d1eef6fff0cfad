import type { StoreMigration } from './migration.js';

// Which `sluice serve` ran the attempt, as the URL its dashboard answers at: a dashboard on
// another host reads the log from there (docs/operations.md, "Logs across hosts"). Null for
// an attempt run by a process with no dashboard (`sluice phase1` and the like).
export const jobLogOrigin: StoreMigration = {
  name: '0019-job-log-origin',
  async up(db) {
    await db.schema.alterTable('jobs').addColumn('log_origin', 'text').execute();
  },
};
