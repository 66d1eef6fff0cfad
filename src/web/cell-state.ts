import { JOB_RESULTS, type Job } from '../store/index.js';

/**
 * What one cell of a matrix shows. The results are those of DESIGN.md; the rest say a job
 * has none yet (`queued`, `retrying`, `running`) or that there is no job at all (`none`).
 * Only `failure` is red: a result that is missing, queued or running is never shown as failed.
 */
export const CELL_STATES = [...JOB_RESULTS, 'running', 'retrying', 'queued', 'none'] as const;
export type CellState = (typeof CELL_STATES)[number];

export function cellState(job: Pick<Job, 'state' | 'result' | 'attempt'> | undefined): CellState {
  if (!job) return 'none';
  if (job.state === 'finished') return job.result ?? 'none';
  if (job.state === 'running') return 'running';
  return job.attempt > 0 ? 'retrying' : 'queued';
}

/** The words a cell says, beside its colour (colour alone does not tell everyone). */
export const CELL_LABELS: Readonly<Record<CellState, string>> = {
  success: 'passed',
  failure: 'failed',
  infra: 'infra error (recheck)',
  timeout: 'timed out (recheck)',
  cancelled: 'cancelled',
  skipped: 'skipped (disabled)',
  running: 'running',
  retrying: 'queued for a retry',
  queued: 'queued',
  none: 'no result yet',
};

export const CELL_SYMBOLS: Readonly<Record<CellState, string>> = {
  success: '✔', failure: '✘', infra: '!', timeout: '⧗', cancelled: '■', skipped: '⊘', running: '▶', retrying: '↻', queued: '·', none: '–',
};

/**
 * Whether a job's log should be searched for error lines: it ended without passing, for a
 * reason its log may tell (not skipped or cancelled, which never failed; never while it runs).
 */
export function endedBadly(job: Pick<Job, 'state' | 'result'>): boolean {
  return job.state === 'finished' && (job.result === 'failure' || job.result === 'infra' || job.result === 'timeout');
}
