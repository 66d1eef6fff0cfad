import type { StoreMigration } from './migration.js';

// Known-good images: a snapshot of a node provisioned for a target whose baseline passed,
// keyed by the production repository content it was built from, so phase1 can tell a
// fresh image from one that production has moved past. `location` is the provider's own
// handle (a local archive, a cloud image id); `pruned_at` marks one removed by policy.
export const images: StoreMigration = {
  name: '0010-images',
  async up(db) {
    await db.schema
      .createTable('images')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('location', 'text', (c) => c.notNull())
      .addColumn('production_key', 'text')
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('pruned_at', 'bigint')
      .execute();
    await db.schema.createIndex('images_target_idx').on('images').columns(['target', 'created_at']).execute();
  },
};
