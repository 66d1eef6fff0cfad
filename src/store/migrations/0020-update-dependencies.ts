import type { StoreMigration } from './migration.js';

// Updates that need each other (docs/lifecycle.md, "Updates that need each other"): an
// edge says the update, as of one content, is tested and moved with another. Declared
// edges (`sluice submit --with`, a Gerrit Depends-On footer, the file's depends_on) are
// replaced whenever the update is submitted again; inferred ones (an RPM requirement only a
// pending update provides) are added by the jobs that found them. An edge recorded for
// other content than the update has now binds nothing: a rebuilt update proves itself again.
export const updateDependencies: StoreMigration = {
  name: '0020-update-dependencies',
  async up(db) {
    await db.schema
      .createTable('update_dependencies')
      .addColumn('update_id', 'text', (c) => c.notNull())
      .addColumn('depends_on', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('how', 'text', (c) => c.notNull())
      .addColumn('why', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('update_dependencies_pk', ['update_id', 'depends_on'])
      .execute();
    await db.schema.createIndex('update_dependencies_depends_on').on('update_dependencies').column('depends_on').execute();
  },
};
