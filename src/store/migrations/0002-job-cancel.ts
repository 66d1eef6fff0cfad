import type { StoreMigration } from './migration.js';

// A running job cannot be cancelled by the store alone: its worker holds a node and
// must stop it. cancelRun stamps cancel_requested_at; the worker learns of it from its
// next heartbeat and finishes the job as cancelled. A column rather than a new job
// state, so claims, heartbeats and the sweep keep one meaning of `running`.
export const jobCancel: StoreMigration = {
  name: '0002-job-cancel',
  async up(db) {
    await db.schema.alterTable('jobs').addColumn('cancel_requested_at', 'bigint').execute();
  },
};
