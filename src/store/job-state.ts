export const JOB_STATES = ['queued', 'running', 'finished'] as const;
export type JobState = (typeof JOB_STATES)[number];

export type FinishedJobState = Extract<JobState, 'finished'>;
export type ActiveJobState = Exclude<JobState, FinishedJobState>;

// `infra` is never blamed on the update (retried on a fresh node); `skipped` jobs
// never ran, and say why in skip_reason, apart from `reason` which explains a result.
export const JOB_RESULTS = ['success', 'failure', 'infra', 'timeout', 'cancelled', 'skipped'] as const;
export type JobResult = (typeof JOB_RESULTS)[number];
