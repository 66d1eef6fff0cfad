import type { StoreMigration } from './migration.js';

// A run's verdict and its report (the merge into updates/, the Gerrit vote) cannot share
// one transaction: git and Gerrit are not in the database. reported_at is the outbox
// mark: a finished run without it still owes its report, and a restarted worker sends it
// (reporters are idempotent: commits carry the run id).
export const runReported: StoreMigration = {
  name: '0003-run-reported',
  async up(db) {
    await db.schema.alterTable('runs').addColumn('reported_at', 'bigint').execute();
  },
};
