import type { StoreMigration } from './migration.js';

// Packages used while provisioning, added and removed at run time by operators
// (`sluice must-provision add|remove`), beside the ones sluice.yaml lists. Every change is
// also an event (who, when, why): the audit trail an operator asks for when an update
// was tested on an image it should not have been.
export const mustProvision: StoreMigration = {
  name: '0008-must-provision',
  async up(db) {
    await db.schema
      .createTable('must_provision')
      .addColumn('package', 'text', (c) => c.primaryKey())
      .addColumn('added_by', 'text', (c) => c.notNull())
      .addColumn('added_at', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .execute();
  },
};
