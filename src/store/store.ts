import type { ClaimJobsWithLeasesInput, ClaimJobsWithLeasesResult, ClaimJobWithLeasesInput, ClaimJobWithLeasesResult } from './job-claim.js';
import type { EventQuery, NewEvent, StoredEvent } from './events.js';
import type {
  FinishJobInput,
  FinishJobResult,
  HeartbeatJobInput,
  HeartbeatJobResult,
  SweepOptions,
  SweptJob,
} from './job-transitions.js';
import type {
  Lease,
  ReleaseLeaseInput,
  ReleaseLeaseResult,
  RenewLeaseInput,
  RenewLeaseResult,
} from './leases.js';
import type { Leader, RenewLeadershipInput, RenewLeadershipResult, ResignLeadershipInput, ResignLeadershipResult, TakeLeadershipInput, TakeLeadershipResult } from './leadership.js';
import type { AddJobsInput, AddJobsResult, FinishControlledRunInput, FinishControlledRunResult } from './controlled-runs.js';
import type { CancelRunInput, CancelRunResult } from './run-cancel.js';
import type { SettleRunInput, SettleRunResult } from './run-settle.js';
import type { InsertRunInput, InsertRunResult, Job, Run } from './runs.js';
import type {
  DisableTargetInput,
  DisableTargetResult,
  EnableTargetInput,
  EnableTargetResult,
  TargetState,
} from './targets.js';
import type { RecordRpmsInput, RecordRpmsResult, RpmRecord } from './rpms.js';
import type { Pipeline } from './pipeline.js';
import type { WakeHint } from './wake-hint.js';
import type { ImageRecord } from './images.js';
import type { DeclareDependenciesInput, DependencyRecord, InferDependenciesInput } from './dependencies.js';
import type { AddJobTestedWithInput } from './job-tested-with.js';
import type { AddMustProvisionResult, MustProvisionChange, MustProvisionEntry, RemoveMustProvisionResult } from './must-provision.js';
import type { Baseline, FlakyTest, RecordTestResultsInput, StoredTestResult } from './test-results.js';
import type { RecordUpdateResult, UpdateInput, UpdateRecord } from './updates.js';
import type { PromoteApproval, RecordApprovalInput, RecordApprovalResult } from './approvals.js';
import type { AddWaiverInput, AddWaiverResult, RevokeWaiverResult, WaiverQuery } from './waivers.js';
import type { Waiver } from '../core/waivers.js';
import type { ClaimNotificationsInput, EnqueueNotificationsInput, Notification, NotificationState, NotificationWithAttempts, RecordNotificationAttemptInput, RecordNotificationAttemptResult } from './notifications.js';

/**
 * The durable state of Sluice, as named operations. Each operation that changes
 * anything is one transaction; expected refusals come back as closed result codes.
 * Time is always the caller's (`now`, in ms since the epoch): the store never reads
 * the clock to decide anything, so callers and tests control it.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';

  listTargetStates(now: number): Promise<TargetState[]>;
  getTargetState(target: string, now: number): Promise<TargetState>;
  disableTarget(input: DisableTargetInput): Promise<DisableTargetResult>;
  enableTarget(input: EnableTargetInput): Promise<EnableTargetResult>;

  /** Packages an operator put on the must-provision list at run time (sluice.yaml has its own). */
  listMustProvision(): Promise<MustProvisionEntry[]>;
  addMustProvision(input: MustProvisionChange): Promise<AddMustProvisionResult>;
  removeMustProvision(input: MustProvisionChange): Promise<RemoveMustProvisionResult>;

  /** Updates that need each other (docs/lifecycle.md): declared at submission, inferred by jobs; listed as they bind now. */
  declareDependencies(input: DeclareDependenciesInput): Promise<void>;
  inferDependencies(input: InferDependenciesInput): Promise<void>;
  listDependencies(updateIds?: readonly string[]): Promise<DependencyRecord[]>;
  /** A phase1 job's spec gets the updates it inferred it must be tested with. */
  addJobTestedWith(input: AddJobTestedWithInput): Promise<void>;

  /** Known-good images (the images pipeline records them; phase1 boots from the freshest). */
  recordImage(image: Omit<ImageRecord, 'prunedAt'>): Promise<{ recorded: boolean }>;
  listImages(query?: { target?: string; includePruned?: boolean }): Promise<ImageRecord[]>;
  markImagesPruned(input: { names: readonly string[]; now: number }): Promise<void>;
  /** Image locations of a provider that are recorded, or announced by a run whose report is owed: what an orphan sweep keeps. */
  listKnownImageLocations(provider: string): Promise<string[]>;

  recordUpdate(input: UpdateInput): Promise<RecordUpdateResult>;
  getUpdate(id: string): Promise<UpdateRecord | undefined>;

  insertRunWithJobs(input: InsertRunInput): Promise<InsertRunResult>;
  getRun(id: string): Promise<Run | undefined>;
  listJobs(runId: string): Promise<Job[]>;
  /** The jobs of several runs at once (a page of runs), by run id; a run with none (or unknown) maps to []. */
  listJobsOfRuns(runIds: readonly string[]): Promise<Map<string, Job[]>>;
  /** Newest first; of one update, or only unfinished ones. */
  listRuns(query?: { updateId?: string; pipeline?: Pipeline; unfinished?: boolean; limit?: number }): Promise<Run[]>;
  /** Finished runs whose report (merge, vote) is still owed: the outbox a restart drains. */
  listUnreportedRuns(limit?: number): Promise<Run[]>;
  /** Marks a run reported; false if it was already. */
  markRunReported(input: { runId: string; now: number; revision?: number }): Promise<boolean>;
  /** Unfinished runs with no open job (all skipped, settle interrupted): the sweep settles them. */
  listStrandedRunIds(): Promise<string[]>;
  /** Every unfinished run: a node or server marked with another run is an orphan. */
  listUnfinishedRunIds(): Promise<string[]>;
  /** The right to report a finished run for a while: true for one caller at a time. */
  claimRunReport(input: { runId: string; worker: string; now: number; leaseMs: number }): Promise<boolean>;
  getJob(id: string): Promise<Job | undefined>;
  /** The newest passing job of a class (`phase1/`) on a target with its log kept: a failing log's reference. */
  latestPassingJob(query: { classPrefix: string; target: string; before?: number }): Promise<Job | undefined>;

  /** The unfinished run of a pipeline, if any (phase2 and promote have at most one). */
  activeRunOf(pipeline: Pipeline): Promise<string | undefined>;
  /** Unfinished controlled runs (phase2, promote) with no open job: their controller decides next. */
  listIdleControlledRuns(): Promise<Run[]>;
  /** The right to advance a controlled run for a while: one advancer at a time. */
  claimRunAdvance(input: { runId: string; worker: string; now: number; leaseMs: number }): Promise<boolean>;
  /** Adds a round of jobs to a controlled run that is still going. */
  addJobs(input: AddJobsInput): Promise<AddJobsResult>;
  /** Gives a controlled run its verdict and outcome once no job of it is open. */
  finishControlledRun(input: FinishControlledRunInput): Promise<FinishControlledRunResult>;
  /** A controlled run whose first round is being prepared is running, not queued. */
  markRunStarted(input: { runId: string; now: number }): Promise<void>;

  /** A worker's claim: the next job of a kind whose leases (node, semaphores) have room, with those leases, in one transaction. */
  claimJobWithLeases(input: ClaimJobWithLeasesInput): Promise<ClaimJobWithLeasesResult>;
  /** Several claims in one transaction, one per holder at most (job-claim.ts). */
  claimJobsWithLeases(input: ClaimJobsWithLeasesInput): Promise<ClaimJobsWithLeasesResult>;
  heartbeatJob(input: HeartbeatJobInput): Promise<HeartbeatJobResult>;
  finishJob(input: FinishJobInput): Promise<FinishJobResult>;
  /** Crash recovery: requeues (or finishes as infra) running jobs whose lease expired before `now`. */
  sweepExpiredJobs(now: number, opts?: SweepOptions): Promise<SweptJob[]>;
  /** Running jobs whose lock expired before `now`: the sweep reaps their processes before it reclaims them. */
  listExpiredJobs(now: number): Promise<Job[]>;
  cancelRun(input: CancelRunInput): Promise<CancelRunResult>;
  /** Collates a run whose jobs are all finished already (every target disabled). */
  settleRun(input: SettleRunInput): Promise<SettleRunResult>;

  renewLease(input: RenewLeaseInput): Promise<RenewLeaseResult>;
  releaseLease(input: ReleaseLeaseInput): Promise<ReleaseLeaseResult>;
  reclaimExpiredLeases(now: number): Promise<Lease[]>;
  listLeases(resource?: string): Promise<Lease[]>;

  /** Takes a role (the scheduler's and triggers', `service`) when its lease is free or expired: a new term. */
  takeLeadership(input: TakeLeadershipInput): Promise<TakeLeadershipResult>;
  /** Extends the holder's current term; `lost` once it expired or was taken over. */
  renewLeadership(input: RenewLeadershipInput): Promise<RenewLeadershipResult>;
  /** Frees the role at once (a stopping serve), so a follower need not wait for the expiry. */
  resignLeadership(input: ResignLeadershipInput): Promise<ResignLeadershipResult>;
  /** The role's holder, current or expired; undefined when nobody holds it. */
  getLeader(role: string): Promise<Leader | undefined>;

  /** Records the SHA-256 of fetched RPMs; refuses (`checksum_changed`) a known file with other bytes. */
  recordRpms(input: RecordRpmsInput): Promise<RecordRpmsResult>;
  listRpms(buildId: string): Promise<RpmRecord[]>;

  /** Per-test results of a job's attempt (JUnit, subunit); the first record of an attempt stands. */
  recordTestResults(input: RecordTestResultsInput): Promise<{ recorded: number }>;
  listTestResults(jobId: string): Promise<StoredTestResult[]>;
  /** Tests that both failed and passed on the same content and target, worst first. */
  listFlakyTests(query?: { limit?: number; target?: string }): Promise<FlakyTest[]>;
  /** Of these tests, those known flaky on the target, with their flip counts. */
  flakyAmong(target: string, testIds: readonly string[]): Promise<Map<string, number>>;
  /** The newest recorded results of a target under a content key (the images pipeline's `baseline`). */
  latestBaseline(target: string, content: string): Promise<Baseline | undefined>;

  /** Writes a run's notifications (one per run, rule and recipient); those already written are left alone. */
  enqueueNotifications(input: EnqueueNotificationsInput): Promise<{ written: number }>;
  /** A sender's claim: pending notifications that are due, leased, each with one more attempt begun. */
  claimDueNotifications(input: ClaimNotificationsInput): Promise<Notification[]>;
  /** How a claimed attempt went: delivered, due again later, or failed for good; `lost` when the claim lapsed. */
  recordNotificationAttempt(input: RecordNotificationAttemptInput): Promise<RecordNotificationAttemptResult>;
  /** Notifications with their attempts, of one run or the newest ones. */
  listNotifications(query?: { runId?: string; state?: NotificationState; limit?: number }): Promise<NotificationWithAttempts[]>;
  /** When the next pending notification falls due; undefined when none is pending. */
  nextNotificationDue(): Promise<number | undefined>;

  /** Gates before production (issue 19): a release manager's approval of a promote run's set, once per run and set. */
  recordApproval(input: RecordApprovalInput): Promise<RecordApprovalResult>;
  listApprovals(runId: string): Promise<PromoteApproval[]>;
  /** A controlled run waits for something outside it: `why` is its reason until it goes on; the worker's advance lease is let go. */
  parkControlledRun(input: { runId: string; worker: string; why: string; now: number }): Promise<void>;
  // issue 19: waivers (docs/lifecycle.md, "Waivers")
  /** Waives a failed job of a phase1 run for its update's content; the latest finished run of that content gets its verdict again. */
  addWaiver(input: AddWaiverInput): Promise<AddWaiverResult>;
  /** Records a waiver's revocation (never deleted): it covers nothing from now on. */
  revokeWaiver(input: { id: string; by: string; reason: string; now: number }): Promise<RevokeWaiverResult>;
  listWaivers(query?: WaiverQuery): Promise<Waiver[]>;

  appendEvent(event: NewEvent): Promise<number>;
  listEvents(query?: EventQuery): Promise<StoredEvent[]>;
  /** The newest event's seq (0 when none). */
  latestEventSeq(): Promise<number>;

  /**
   * Calls `onWake` when another process may have made work (PostgreSQL LISTEN/NOTIFY);
   * on SQLite it never does. A hint only: callers still poll.
   */
  subscribe(onWake: (hint: WakeHint) => void): Promise<() => Promise<void>>;

  /** Closes the connection or pool; the store is unusable afterwards. */
  close(): Promise<void>;
}
