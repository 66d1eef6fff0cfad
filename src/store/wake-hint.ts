/**
 * Wake-ups across processes on PostgreSQL: a transition that makes work (a new run, a
 * requeued job, a finished run to report) or frees a node NOTIFYs this channel at commit,
 * and every listening worker looks at once instead of at its next poll. Only a hint: a
 * lost notification costs one poll interval, never correctness.
 */
export const WAKE_CHANNEL = 'sluice_wake';

/**
 * `work`: a job or run may have been queued (or a run finished, to report). `freed`: only
 * jobs finished, so nodes were freed: work for a worker waiting for a node, none for one
 * that found nothing queued.
 */
export type WakeHint = 'work' | 'freed';

/** The NOTIFY that carries a hint at commit: `freed` as its payload, `work` without one. */
export function wakeNotify(hint: WakeHint): string {
  return `select pg_notify('${WAKE_CHANNEL}', '${hint === 'freed' ? 'freed' : ''}')`;
}
