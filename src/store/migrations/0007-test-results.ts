import type { StoreMigration } from './migration.js';

// Per-test results of a job's attempt (JUnit XML, subunit v2), so a report says which
// tests failed, a test that failed and then passed on the same content is known flaky,
// and a target's failing tests can be compared with its baseline's. `content` is what was
// tested (the update file's SHA-256, or a phase2 group's), the key for flakiness.
export const testResults: StoreMigration = {
  name: '0007-test-results',
  async up(db) {
    await db.schema
      .createTable('test_results')
      .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('test_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('message', 'text')
      .addColumn('duration_ms', 'bigint')
      .addColumn('recorded_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('test_results_pkey', ['job_id', 'attempt', 'test_id'])
      .execute();
    await db.schema.createIndex('test_results_target_test_idx').on('test_results').columns(['target', 'test_id']).execute();
    await db.schema.createIndex('test_results_content_idx').on('test_results').columns(['content', 'target', 'test_id']).execute();
  },
};
