// A run is a parent with child jobs: queued until its first child starts, running
// until its verdict is collated, then finished. Later migrations may add states;
// the union grows here first.
export const RUN_STATES = ['queued', 'running', 'finished'] as const;
export type RunState = (typeof RUN_STATES)[number];

export type FinishedRunState = Extract<RunState, 'finished'>;
export type ActiveRunState = Exclude<RunState, FinishedRunState>;

// `error` is infra or timeout left after retries (recheck, not fix); `held` means
// every target of the update was disabled, so nothing ran.
export const RUN_VERDICTS = ['pass', 'fail', 'error', 'held', 'cancelled'] as const;
export type RunVerdict = (typeof RUN_VERDICTS)[number];

/**
 * The states of an unfinished run, for `state in (...)`: unlike `state != 'finished'`
 * it is a lookup in the runs' (state, created_at) index rather than a scan of every run.
 */
export const UNFINISHED_RUN_STATES: readonly ActiveRunState[] = RUN_STATES.filter((s): s is ActiveRunState => s !== 'finished');
