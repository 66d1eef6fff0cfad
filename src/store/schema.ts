import type { Generated } from 'kysely';

// The Kysely view of the tables as the latest migration leaves them. Migrations do
// not use these types (they are typed Kysely<any>, frozen in time); queries do.
// Timestamps are integer milliseconds since the epoch; JSON columns hold text;
// booleans are 0/1 integers, in both dialects.

export interface UpdatesTable {
  id: string;
  path: string;
  content_hash: string;
  topic: string | null;
  author: string | null;
  first_seen_at: number;
  updated_at: number;
  data: string;
}

export interface TargetStatesTable {
  target: string;
  disabled: number;
  reason: string | null;
  disabled_by: string | null;
  disabled_at: number | null;
  until: number | null;
}

export interface RunsTable {
  id: string;
  pipeline: string;
  update_id: string | null;
  state: string;
  verdict: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  inputs: string;
  reason: string | null;
  /** When the run's reporter (merge, vote) finished; null while it owes a report. */
  reported_at: number | null;
  report_locked_by: string | null;
  report_locked_until: number | null;
  /** Set for runs whose jobs a controller adds round by round (phase2, promote). */
  controller: string | null;
  /** What the controller decided (JSON): culprits, what was moved or published. */
  outcome: string | null;
  cancel_requested_at: number | null;
  /** Raised each time a waiver gives the finished run its verdict again (migration 0021). */
  verdict_revision: Generated<number>;
}

export interface JobsTable {
  id: string;
  run_id: string;
  target: string;
  kind: string;
  state: string;
  result: string | null;
  reason: string | null;
  skip_reason: string | null;
  attempt: number;
  max_attempts: number;
  available_at: number;
  locked_by: string | null;
  locked_until: number | null;
  node: string | null;
  log_path: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  spec: string;
  cancel_requested_at: number | null;
  /** The error excerpt of the last attempt (JSON), when analysis made one. */
  excerpt: string | null;
  /** Attempts lost to the death of their worker and given back (each also raised max_attempts). */
  interruptions: Generated<number>;
  /** Where the running attempt writes its log (recorded as it starts; null before migration 0014). */
  live_log_path: string | null;
  log_origin: string | null;
  /** The waiver (JSON) that covered this job's failure when its run was collated (migration 0021). */
  waiver: string | null;
  /** A `recheck failed` run's passing job not run again: the earlier job its result is carried from. */
  carried_from: string | null;
}

export interface LeasesTable {
  resource: string;
  slot: number;
  holder: string | null;
  job_id: string | null;
  acquired_at: number | null;
  expires_at: number | null;
}

export interface LeadershipTable {
  role: string;
  holder: string | null;
  term: number;
  acquired_at: number | null;
  expires_at: number | null;
}

export interface EventsTable {
  seq: Generated<number>;
  at: number;
  kind: string;
  run_id: string | null;
  job_id: string | null;
  payload: string;
}

export interface RpmsTable {
  build_id: string;
  source: string;
  file_name: string;
  run_id: string | null;
  sha256: string;
  size: number;
  fetched_at: number;
}

export interface TestResultsTable {
  job_id: string;
  attempt: number;
  run_id: string;
  target: string;
  content: string;
  test_id: string;
  status: string;
  message: string | null;
  duration_ms: number | null;
  recorded_at: number;
}

export interface MustProvisionTable {
  package: string;
  added_by: string;
  added_at: number;
  reason: string;
}

export interface ImagesTable {
  name: string;
  target: string;
  provider: string;
  location: string;
  production_key: string | null;
  run_id: string;
  job_id: string;
  created_at: number;
  pruned_at: number | null;
}

export interface NotificationsTable {
  /** The delivery id: the receiver sees it (a header), the same on every retry. */
  id: string;
  run_id: string;
  rule: string;
  /** `email:ADDRESS` or `webhook:NAME`; (run_id, rule, recipient) is unique. */
  recipient: string;
  channel: string;
  /** What is sent (JSON), frozen when the row is written. */
  message: string;
  state: string;
  /** Attempts begun (a claim counts one, so a sender that dies mid-send still uses one up). */
  attempts: Generated<number>;
  max_attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  created_at: number;
  finished_at: number | null;
  last_error: string | null;
}

export interface NotificationAttemptsTable {
  notification_id: string;
  attempt: number;
  worker: string;
  started_at: number;
  ended_at: number;
  /** 1: the receiver took it; 0: it failed (detail says how). */
  ok: number;
  detail: string;
}

export interface UpdateDependenciesTable {
  update_id: string;
  depends_on: string;
  /** The dependant's content the edge was recorded for. */
  content_hash: string;
  /** `declared` or `inferred`. */
  how: string;
  why: string;
  recorded_at: number;
}

export interface WaiversTable {
  id: string;
  update_id: string;
  content_hash: string;
  target: string;
  test: string | null;
  reason: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

export interface Database {
  updates: UpdatesTable;
  target_states: TargetStatesTable;
  runs: RunsTable;
  jobs: JobsTable;
  leases: LeasesTable;
  leadership: LeadershipTable;
  events: EventsTable;
  rpms: RpmsTable;
  test_results: TestResultsTable;
  must_provision: MustProvisionTable;
  images: ImagesTable;
  notifications: NotificationsTable;
  notification_attempts: NotificationAttemptsTable;
  update_dependencies: UpdateDependenciesTable;
  promote_approvals: PromoteApprovalsTable;
  waivers: WaiversTable;
}

/** Who approved which set of a promote run (migration 0022); `updates` is JSON `[{ id, contentHash }]`. */
export interface PromoteApprovalsTable {
  run_id: string;
  set_hash: string;
  updates: string;
  approved_by: string;
  approved_at: number;
  via: string;
}
