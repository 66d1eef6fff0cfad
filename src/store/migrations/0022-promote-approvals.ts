import type { StoreMigration } from './migration.js';

// `promote.approval: required` (issue 19, docs/promote.md "Gates before production"): who
// approved which set of updates of which promote run, and how. One row per run and set:
// an approval names the exact set a person saw (its hash and its updates with their
// content hashes), and the run publishes only when the set it staged has one. No foreign
// key to runs: retention's pruning of old runs must not be held by their approvals.
export const promoteApprovals: StoreMigration = {
  name: '0022-promote-approvals',
  async up(db) {
    await db.schema
      .createTable('promote_approvals')
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('set_hash', 'text', (c) => c.notNull())
      .addColumn('updates', 'text', (c) => c.notNull())
      .addColumn('approved_by', 'text', (c) => c.notNull())
      .addColumn('approved_at', 'bigint', (c) => c.notNull())
      .addColumn('via', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('promote_approvals_pkey', ['run_id', 'set_hash'])
      .execute();
  },
};
