import { sql } from 'kysely';
import type { StoreMigration } from './migration.js';

// phase2 and promote are runs whose jobs are not known up front: a controller adds the
// jobs of each round (a bisection step, the stage tests after composing stage) and gives
// the run its verdict. `controller` names it; `outcome` keeps what it decided (the
// culprits, what was published) as JSON; `cancel_requested_at` lets a cancel reach a run
// that has no job open at that moment.
// Only one phase2 and one promote may be unfinished at a time: a partial unique index
// makes that a property of the data, so two triggers racing (a schedule and a person)
// cannot both start one, whichever process or host they run in.
export const controlledRuns: StoreMigration = {
  name: '0006-controlled-runs',
  async up(db) {
    await db.schema.alterTable('runs').addColumn('controller', 'text').execute();
    await db.schema.alterTable('runs').addColumn('outcome', 'text').execute();
    await db.schema.alterTable('runs').addColumn('cancel_requested_at', 'bigint').execute();
    await sql`CREATE UNIQUE INDEX runs_one_unfinished_per_pipeline ON runs (pipeline) WHERE pipeline IN ('phase2', 'promote') AND state <> 'finished'`.execute(db);
  },
};
