import type { StoreMigration } from './migration.js';

// Indexes for the reads that ran on every finished job, run or page and scanned every
// run: the newest runs (`sluice status`, the front page), the report outbox (finished,
// not yet reported), and a run's jobs by state (claim fairness counts a run's running
// jobs; settling and the sweeps ask whether a run has an open job).
export const scanIndexes: StoreMigration = {
  name: '0011-scan-indexes',
  async up(db) {
    await db.schema.createIndex('runs_created_idx').on('runs').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('runs_unreported_idx').on('runs').columns(['reported_at', 'finished_at', 'id']).execute();
    await db.schema.createIndex('jobs_run_state_idx').on('jobs').columns(['run_id', 'state']).execute();
  },
};
