import type { StoreMigration } from './migration.js';

// Several workers drain the report outbox. Git and Gerrit are outside the database, so a
// report is claimed first, like a job: a lease on the run row (holder, expiry). A reporter
// that dies mid-report loses the lease and another one reports again; reporters are
// idempotent, the lease only keeps two live ones from racing.
export const reportLease: StoreMigration = {
  name: '0004-report-lease',
  async up(db) {
    await db.schema.alterTable('runs').addColumn('report_locked_by', 'text').execute();
    await db.schema.alterTable('runs').addColumn('report_locked_until', 'bigint').execute();
  },
};
