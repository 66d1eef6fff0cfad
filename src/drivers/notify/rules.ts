import type { Job, Run } from '../../store/index.js';
import type { NotifyRule } from './config.js';

/** Jobs that ended badly: what a message shows the error lines of. */
export function failedJobs(jobs: readonly Job[]): Job[] {
  return jobs.filter((j) => j.state === 'finished' && (j.result === 'failure' || j.result === 'infra' || j.result === 'timeout'));
}

/**
 * Whether a finished run is told to a rule's recipients: its pipeline and verdict are the
 * rule's, and, when the rule names targets, the run had a job on one of them; a run that
 * failed counts only if one of those targets is among the failed ones, so a team that
 * watches its own targets hears of its own failures.
 */
export function ruleMatches(rule: NotifyRule, run: Run, jobs: readonly Job[]): boolean {
  if (run.state !== 'finished' || run.verdict === null) return false;
  if (rule.pipelines && !(rule.pipelines as readonly string[]).includes(run.pipeline)) return false;
  if (!rule.verdicts.includes(run.verdict)) return false;
  if (!rule.targets) return true;
  const watched = new Set(rule.targets);
  const failed = failedJobs(jobs);
  const relevant = (run.verdict === 'fail' || run.verdict === 'error') && failed.length > 0 ? failed : jobs;
  return relevant.some((j) => watched.has(j.target));
}

/** The rules a run matches, in the configuration's order. */
export function matchingRules(rules: readonly NotifyRule[], run: Run, jobs: readonly Job[]): NotifyRule[] {
  return rules.filter((r) => ruleMatches(r, run, jobs));
}
