/**
 * The closed lists every layer shares, each defined here once: the store checks its
 * columns against them, the API's schemas enumerate them, core reasons with them. Types
 * are derived from the lists, so adding a value is one edit here.
 */

export const PIPELINES = ['phase1', 'phase2', 'promote', 'images'] as const;
export type Pipeline = (typeof PIPELINES)[number];

/**
 * How a job ends (DESIGN.md "Verdicts"). `infra` is never blamed on the update (retried on a
 * fresh node); `skipped` jobs never ran, and say why in skip_reason.
 */
export const JOB_RESULTS = ['success', 'failure', 'infra', 'timeout', 'cancelled', 'skipped'] as const;
export type JobResult = (typeof JOB_RESULTS)[number];

/** How a run ends: `error` is infra or timeout left after retries (recheck, not fix); `held`, every target was disabled. */
export const RUN_VERDICTS = ['pass', 'fail', 'error', 'held', 'cancelled'] as const;
export type RunVerdict = (typeof RUN_VERDICTS)[number];

// A run is queued until its first job starts, running until its verdict, then finished; a
// job likewise. Later migrations may add states: the union grows here first.
export const RUN_STATES = ['queued', 'running', 'finished'] as const;
export type RunState = (typeof RUN_STATES)[number];

export const JOB_STATES = ['queued', 'running', 'finished'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** The folders of the update repository, in the order an update passes through them. */
export const UPDATE_REPO_FOLDERS = ['updates', 'ready', 'pushed', 'failed'] as const;
export type UpdateRepoFolder = (typeof UPDATE_REPO_FOLDERS)[number];

/**
 * A notification's delivery (issue 18, docs/notifications.md): `pending` until a receiver
 * took it (`delivered`) or its attempts ran out (`failed`, kept with its last error).
 */
export const NOTIFICATION_STATES = ['pending', 'delivered', 'failed'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

/** How a notification travels: a mail over SMTP, or a signed JSON POST. */
export const NOTIFICATION_CHANNELS = ['email', 'webhook'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];
