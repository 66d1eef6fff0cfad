// The store's public surface: openStore, the Store interface and the plain types it
// speaks. Nothing of Kysely or the drivers is exported.
export { openStore, type OpenStoreOptions } from './open.js';
export type { Store } from './store.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type { Outcome, Done, Refused } from './results.js';
export { PIPELINES, type Pipeline } from './pipeline.js';
export { RUN_STATES, RUN_VERDICTS, type RunState, type FinishedRunState, type ActiveRunState, type RunVerdict } from './run-state.js';
export { JOB_STATES, JOB_RESULTS, type JobState, type FinishedJobState, type ActiveJobState, type JobResult } from './job-state.js';
export type {
  TargetState,
  EnabledTargetState,
  DisabledTargetState,
  DisableTargetInput,
  DisableTargetResult,
  EnableTargetInput,
  EnableTargetResult,
} from './targets.js';
export type { UpdateInput, UpdateRecord, RecordUpdateResult } from './updates.js';
export type { FetchedRpmInput, RecordRpmsInput, RecordRpmsResult, RpmRecord } from './rpms.js';
export {
  INFRA_RETRY_BACKOFF_MS,
  DEFAULT_INTERRUPTED_ATTEMPTS,
  type SweepOptions,
  type ReportedJobResult,
  type HeartbeatJobInput,
  type HeartbeatJobResult,
  type FinishJobInput,
  type FinishJobResult,
  type AttemptEnded,
  type SweptJob,
} from './job-transitions.js';
export type { LeaseNeed, ClaimableKind, ClaimedJob, ClaimJobsWithLeasesInput, ClaimJobsWithLeasesResult, ClaimJobWithLeasesInput, ClaimJobWithLeasesResult, HeldLease } from './job-claim.js';
export type { CancelRunInput, CancelRunResult, RunCancelled } from './run-cancel.js';
export type { SettleRunInput, SettleRunResult } from './run-settle.js';
export type { AddJobsInput, AddJobsResult, FinishControlledRunInput, FinishControlledRunResult } from './controlled-runs.js';
export type { NewRun, NewJob, InsertRunInput, InsertRunResult, Run, RunOf, RunRow, Job } from './runs.js';
export type {
  Lease,
  RenewLeaseInput,
  RenewLeaseResult,
  ReleaseLeaseInput,
  ReleaseLeaseResult,
} from './leases.js';
export { leaderStream, type Leader, type TakeLeadershipInput, type TakeLeadershipResult, type RenewLeadershipInput, type RenewLeadershipResult, type ResignLeadershipInput, type ResignLeadershipResult } from './leadership.js';
export type { NewEvent, StoredEvent, StoredEventOf, EventQuery } from './events.js';
export { TEST_STATUSES, type TestStatus, type TestOutcome, type RecordTestResultsInput, type StoredTestResult, type FlakyTest, type Baseline } from './test-results.js';
export type { DependencyRecord, NeededUpdate, DeclareDependenciesInput, InferDependenciesInput } from './dependencies.js';
export type { AddJobTestedWithInput } from './job-tested-with.js';
export type { MustProvisionEntry, MustProvisionChange, AddMustProvisionResult, RemoveMustProvisionResult } from './must-provision.js';
export type { ImageRecord } from './images.js';
export {
  NOTIFICATION_STATES,
  NOTIFICATION_CHANNELS,
  type NotificationState,
  type NotificationChannel,
  type NewNotification,
  type EnqueueNotificationsInput,
  type Notification,
  type NotificationAttempt,
  type NotificationWithAttempts,
  type ClaimNotificationsInput,
  type RecordNotificationAttemptInput,
  type RecordNotificationAttemptResult,
} from './notifications.js';
export { sqliteFileOf, type SqliteSync } from './url.js';
export type { PromoteApproval, RecordApprovalInput, RecordApprovalResult } from './approvals.js';
export type { AddWaiverInput, AddWaiverResult, RevokeWaiverResult, WaiverQuery, Recollated } from './waivers.js';
export type { Waiver, AppliedWaiver } from '../core/waivers.js';
