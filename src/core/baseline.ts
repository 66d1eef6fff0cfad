/** Who disables a target whose baseline is red, so the next green baseline may enable it again. */
export const BASELINE_DISABLER = 'sluice-images';

/** The content key of baseline test results: what an update's failures are compared with. */
export const BASELINE_CONTENT = 'baseline';
