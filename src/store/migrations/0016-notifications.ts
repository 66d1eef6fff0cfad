import type { StoreMigration } from './migration.js';

// Notifications (`notify:` in sluice.yaml) are a second outbox behind the report outbox:
// reporting a run writes one row per (run, rule, recipient), the unique key, so a report
// repeated after a crash writes nothing twice; a sender claims due rows with a lease (holder,
// expiry) like a job, and records each attempt in its own row before the next one is due.
// The message is frozen when the row is written: every retry sends the same bytes, under
// the same delivery id, which a receiver can use to drop a repeat.
// No foreign key to runs: pruning old runs (retention) must not be held by their deliveries.
export const notifications: StoreMigration = {
  name: '0016-notifications',
  async up(db) {
    await db.schema
      .createTable('notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_by', 'text')
      .addColumn('locked_until', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .addColumn('last_error', 'text')
      .addUniqueConstraint('notifications_key', ['run_id', 'rule', 'recipient'])
      .execute();
    await db.schema.createIndex('notifications_due_idx').on('notifications').columns(['state', 'next_attempt_at']).execute();
    await db.schema
      .createTable('notification_attempts')
      .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('worker', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint', (c) => c.notNull())
      .addColumn('ok', 'integer', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('notification_attempts_pkey', ['notification_id', 'attempt'])
      .execute();
  },
};
