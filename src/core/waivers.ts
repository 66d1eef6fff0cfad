/**
 * Waivers (docs/lifecycle.md, "Waivers"): a release manager's word that one failed result of
 * one update does not block it. A waiver is bound to the update *and its content* (the
 * update file's SHA-256 as phase1 tested it), to one target and optionally one test: a new
 * patch set or a rebuilt update is other content and needs its own. Pure: the store reads
 * the waivers and the test results, this decides which waiver, if any, covers a failure.
 */

export interface Waiver {
  readonly id: string;
  readonly updateId: string;
  readonly contentHash: string;
  readonly target: string;
  /** A test of the job's results: the waiver covers the job only when this is its one failed test. */
  readonly test: string | null;
  readonly reason: string;
  readonly by: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
  readonly revokeReason: string | null;
}

/** What a job records of the waiver that covered its failure when its run was collated. */
export interface AppliedWaiver {
  readonly id: string;
  readonly by: string;
  readonly reason: string;
  readonly test: string | null;
  readonly expiresAt: number;
}

export type WaiverStanding = 'active' | 'expired' | 'revoked';

export function waiverStanding(w: Pick<Waiver, 'expiresAt' | 'revokedAt'>, now: number): WaiverStanding {
  if (w.revokedAt !== null) return 'revoked';
  return w.expiresAt <= now ? 'expired' : 'active';
}

/** One failed job as collation sees it: the run's update and content, the target, the tests that failed in its last attempt. */
export interface FailedJobFacts {
  readonly updateId: string;
  readonly contentHash: string;
  readonly target: string;
  readonly failedTests: readonly string[];
}

/**
 * The waiver that covers a failed job, if one does: active at `now`, of the same update
 * and content and target; a target-wide one first, else one naming the job's only failed
 * test. The oldest of equals wins, so the answer does not depend on the read order.
 */
export function waiverFor(job: FailedJobFacts, waivers: readonly Waiver[], now: number): Waiver | undefined {
  const fitting = waivers
    .filter((w) => waiverStanding(w, now) === 'active' && w.updateId === job.updateId && w.contentHash === job.contentHash && w.target === job.target)
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  const whole = fitting.find((w) => w.test === null);
  if (whole) return whole;
  const only = job.failedTests.length === 1 ? job.failedTests[0] : undefined;
  return only === undefined ? undefined : fitting.find((w) => w.test === only);
}

export function appliedWaiver(w: Waiver): AppliedWaiver {
  return { id: w.id, by: w.by, reason: w.reason, test: w.test, expiresAt: w.expiresAt };
}

/** "by alice: known flake, until 2026-12-14 (waiver w-...)": the words every front end uses. */
export function describeWaiver(w: AppliedWaiver): string {
  return `${w.test === null ? '' : `test ${w.test}, `}by ${w.by}: ${w.reason}, until ${new Date(w.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC (waiver ${w.id})`;
}

/** How long a waiver lasts when nobody says; and at most: a waiver is a stopgap, not a policy. */
export const WAIVER_DEFAULT_EXPIRY = '7d';
export const WAIVER_MAX_MS = 90 * 86_400_000;

/** Why a waiver was refused, in words, from the store's refusal code. */
export function waiverRefusal(code: 'not_found' | 'not_phase1' | 'not_failed' | 'test_not_failed', runId: string, target: string, test: string | null): string {
  switch (code) {
    case 'not_found': return `no run "${runId}"`;
    case 'not_phase1': return `run ${runId} is not a phase1 run of one update: waivers are of an update's phase1 failures`;
    case 'not_failed': return `the job of ${target} in run ${runId} did not fail (or the run has no such target, or it has not finished): only a failure is waived; infra and timeouts are rechecked`;
    case 'test_not_failed': return `test ${test ?? '?'} did not fail in the last attempt of ${target} in run ${runId}`;
  }
}
