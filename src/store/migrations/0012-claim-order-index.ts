import type { StoreMigration } from './migration.js';

// Queued jobs in the claim's order (oldest first), so the claim's first try (the oldest
// job of a run with nothing running) walks the index and stops at its first match rather
// than sorting every queued job.
export const claimOrderIndex: StoreMigration = {
  name: '0012-claim-order-index',
  async up(db) {
    await db.schema.createIndex('jobs_claim_order_idx').on('jobs').columns(['state', 'created_at', 'id']).execute();
  },
};
