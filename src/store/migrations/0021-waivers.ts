import type { StoreMigration } from './migration.js';

// Waivers (docs/lifecycle.md, "Waivers") and `recheck failed`:
// - `waivers`: a release manager's waiver of one failed result of one update's content,
//   never deleted (a revocation is recorded in its row, and as an event);
// - `jobs.waiver`: the waiver (JSON) that covered the job's failure when its run was
//   collated, frozen there, so every front end shows what decided the verdict;
// - `jobs.carried_from`: a job of a `recheck failed` run that did not run again, its
//   passing result carried from this job of the earlier run;
// - `runs.verdict_revision`: how many times the verdict was given again after a waiver;
//   a report names it, so a report of an older verdict is not taken for the newer one.
export const waivers: StoreMigration = {
  name: '0021-waivers',
  async up(db) {
    await db.schema
      .createTable('waivers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('update_id', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('test', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_by', 'text')
      .addColumn('revoke_reason', 'text')
      .execute();
    await db.schema.createIndex('waivers_content_idx').on('waivers').columns(['update_id', 'content_hash']).execute();
    await db.schema.alterTable('jobs').addColumn('waiver', 'text').execute();
    await db.schema.alterTable('jobs').addColumn('carried_from', 'text').execute();
    await db.schema.alterTable('runs').addColumn('verdict_revision', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};
