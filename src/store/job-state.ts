import type { JobState } from '../core/records/vocabulary.js';

export { JOB_RESULTS, JOB_STATES, type JobResult, type JobState } from '../core/records/vocabulary.js';

export type FinishedJobState = Extract<JobState, 'finished'>;
export type ActiveJobState = Exclude<JobState, FinishedJobState>;
