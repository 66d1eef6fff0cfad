import type { StoreMigration } from './migration.js';

// The error excerpt of a job's last attempt, computed once when it ends (one streaming
// pass over a log that may be hundreds of MB): the CLI, the Gerrit comment and the web
// page show it without reading the log again.
export const jobExcerpt: StoreMigration = {
  name: '0009-job-excerpt',
  async up(db) {
    await db.schema.alterTable('jobs').addColumn('excerpt', 'text').execute();
  },
};
