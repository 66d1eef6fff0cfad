import type { StoreMigration } from './migration.js';

// Where the running attempt's log is being written, recorded as the attempt starts: a
// reader follows a growing log from the store, never by rebuilding a provider's paths.
// `log_path` stays the log of the last attempt that ended, as before.
export const jobLiveLog: StoreMigration = {
  name: '0014-job-live-log',
  async up(db) {
    await db.schema.alterTable('jobs').addColumn('live_log_path', 'text').execute();
  },
};
