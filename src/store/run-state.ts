import { RUN_STATES, type RunState } from '../core/records/vocabulary.js';

export { RUN_STATES, RUN_VERDICTS, type RunState, type RunVerdict } from '../core/records/vocabulary.js';

export type FinishedRunState = Extract<RunState, 'finished'>;
export type ActiveRunState = Exclude<RunState, FinishedRunState>;

/**
 * The states of an unfinished run, for `state in (...)`: unlike `state != 'finished'`
 * it is a lookup in the runs' (state, created_at) index rather than a scan of every run.
 */
export const UNFINISHED_RUN_STATES: readonly ActiveRunState[] = RUN_STATES.filter((s): s is ActiveRunState => s !== 'finished');
