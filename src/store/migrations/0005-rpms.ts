import type { StoreMigration } from './migration.js';

// What was tested is what gets promoted: every RPM a source fetched, with its SHA-256.
// One row per file of a build from a source; a file that comes back with other bytes
// is refused by the store rather than overwritten.
export const rpms: StoreMigration = {
  name: '0005-rpms',
  async up(db) {
    await db.schema
      .createTable('rpms')
      .addColumn('build_id', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('file_name', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.references('runs.id'))
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('fetched_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('rpms_pkey', ['build_id', 'source', 'file_name'])
      .execute();
    await db.schema.createIndex('rpms_run_idx').on('rpms').column('run_id').execute();
  },
};
