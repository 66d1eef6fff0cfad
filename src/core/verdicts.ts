/**
 * How a job ends and how a run collates its children (DESIGN.md "Verdicts").
 * `infra` is never blamed on the update: it is retried on a fresh node, and one left after
 * the retries makes the run an `error` (recheck, not fix), as does a `timeout`.
 */
import type { JobResult, RunVerdict } from './records/vocabulary.js';
import { describeWaiver, type AppliedWaiver } from './waivers.js';

export { JOB_RESULTS, RUN_VERDICTS, type JobResult, type RunVerdict } from './records/vocabulary.js';

export interface ChildOutcome {
  readonly target: string;
  readonly result: JobResult;
  /** A failure a release manager waived (waivers.ts): it counts as passed, and the verdict says so. */
  readonly waiver?: AppliedWaiver | null;
}

export interface Collation {
  readonly verdict: RunVerdict;
  /** One sentence a packager can act on. */
  readonly because: string;
}

/**
 * A run passes only if every child that ran passed and at least one ran. A failure fails
 * it, whatever else happened (the update is broken); otherwise an infra or timeout result
 * makes it an error; a cancelled child, cancelled; all children skipped, held.
 */
export function collate(children: readonly ChildOutcome[]): Collation {
  const waived = children.filter((c) => c.result === 'failure' && c.waiver);
  const waivedWords = waived.map((c) => `waived failure on ${c.target} (${c.waiver ? describeWaiver(c.waiver) : ''})`).join('; ');
  const also = waived.length > 0 ? `; ${waivedWords}` : '';
  const of = (...results: JobResult[]) => children.filter((c) => results.includes(c.result) && !(c.result === 'failure' && c.waiver)).map((c) => c.target);
  const failed = of('failure');
  if (failed.length > 0) return { verdict: 'fail', because: `tests failed on ${failed.join(', ')}${also}` };
  const broken = of('infra', 'timeout');
  if (broken.length > 0) {
    const detail = children.filter((c) => c.result === 'infra' || c.result === 'timeout').map((c) => `${c.target} (${c.result})`);
    return { verdict: 'error', because: `no verdict on ${detail.join(', ')}: a recheck may pass, the update is not blamed${also}` };
  }
  const cancelled = of('cancelled');
  if (cancelled.length > 0) return { verdict: 'cancelled', because: `cancelled before ${cancelled.join(', ')} finished${also}` };
  const ran = of('success');
  if (ran.length === 0 && waived.length > 0) return { verdict: 'pass', because: waivedWords };
  if (ran.length === 0) {
    return { verdict: 'held', because: children.length === 0 ? 'the update touches no target' : `every target is disabled (${of('skipped').join(', ')}): held until one is enabled` };
  }
  const skipped = of('skipped');
  return { verdict: 'pass', because: `passed on ${ran.join(', ')}${also}${skipped.length ? `; skipped ${skipped.join(', ')} (disabled)` : ''}` };
}
