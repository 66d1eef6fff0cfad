import { initial } from './0001-initial.js';
import { jobCancel } from './0002-job-cancel.js';
import { runReported } from './0003-run-reported.js';
import { reportLease } from './0004-report-lease.js';
import { rpms } from './0005-rpms.js';
import { controlledRuns } from './0006-controlled-runs.js';
import { testResults } from './0007-test-results.js';
import { mustProvision } from './0008-must-provision.js';
import { jobExcerpt } from './0009-job-excerpt.js';
import { images } from './0010-images.js';
import { scanIndexes } from './0011-scan-indexes.js';
import { claimOrderIndex } from './0012-claim-order-index.js';
import { jobInterruptions } from './0013-job-interruptions.js';
import { jobLiveLog } from './0014-job-live-log.js';
import { leadership } from './0015-leadership.js';
import { notifications } from './0016-notifications.js';
import { jobLogOrigin } from './0019-job-log-origin.js';
import { updateDependencies } from './0020-update-dependencies.js';
import { waivers } from './0021-waivers.js';
import { promoteApprovals } from './0022-promote-approvals.js';
import type { StoreMigration } from './migration.js';

export type { StoreMigration } from './migration.js';

/** Every migration, in order. Append only: a shipped migration is never edited. */
export const MIGRATIONS: readonly StoreMigration[] = [initial, jobCancel, runReported, reportLease, rpms, controlledRuns, testResults, mustProvision, jobExcerpt, images, scanIndexes, claimOrderIndex, jobInterruptions, jobLiveLog, leadership, notifications, jobLogOrigin,
  updateDependencies, waivers, promoteApprovals];
