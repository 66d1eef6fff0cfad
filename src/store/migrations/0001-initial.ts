import type { StoreMigration } from './migration.js';

// Column conventions: times are bigint milliseconds since the epoch (SQLite reads
// 'bigint' as an integer column); JSON is text; booleans are 0/1 integers. State
// columns carry no CHECK constraint so a later migration can add a state without
// rebuilding the table (SQLite cannot alter a constraint); the closed TypeScript
// unions guard what is written and read.
export const initial: StoreMigration = {
  name: '0001-initial',
  async up(db, adapter) {
    await db.schema
      .createTable('updates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('topic', 'text')
      .addColumn('author', 'text')
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('target_states')
      .addColumn('target', 'text', (c) => c.primaryKey())
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reason', 'text')
      .addColumn('disabled_by', 'text')
      .addColumn('disabled_at', 'bigint')
      .addColumn('until', 'bigint')
      .execute();

    await db.schema
      .createTable('runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('pipeline', 'text', (c) => c.notNull())
      .addColumn('update_id', 'text', (c) => c.references('updates.id'))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('verdict', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .addColumn('inputs', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .execute();
    await db.schema.createIndex('runs_state_idx').on('runs').columns(['state', 'created_at']).execute();
    await db.schema.createIndex('runs_update_idx').on('runs').column('update_id').execute();

    // A job row is also its queue entry: claimable when state = 'queued' and
    // available_at <= now (a retry pushes available_at out); a claim sets locked_by
    // and locked_until, the holder's heartbeat extends locked_until, and a sweep
    // requeues running jobs whose locked_until has passed.
    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('reason', 'text')
      .addColumn('skip_reason', 'text')
      .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('available_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_by', 'text')
      .addColumn('locked_until', 'bigint')
      .addColumn('node', 'text')
      .addColumn('log_path', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .addColumn('spec', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('jobs_run_idx').on('jobs').column('run_id').execute();
    await db.schema.createIndex('jobs_claim_idx').on('jobs').columns(['state', 'available_at']).execute();
    await db.schema.createIndex('jobs_lock_idx').on('jobs').columns(['state', 'locked_until']).execute();

    // A resource of capacity N has slots 0..N-1; a row with a null holder is a free
    // slot. No foreign key to jobs: a lease is bookkeeping about a resource and may
    // name a job another store has not recorded.
    await db.schema
      .createTable('leases')
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('slot', 'integer', (c) => c.notNull())
      .addColumn('holder', 'text')
      .addColumn('job_id', 'text')
      .addColumn('acquired_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .addPrimaryKeyConstraint('leases_pk', ['resource', 'slot'])
      .execute();

    await adapter
      .addSerialKey(db.schema.createTable('events'), 'seq')
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('job_id', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('events_run_idx').on('events').columns(['run_id', 'seq']).execute();
  },
};
