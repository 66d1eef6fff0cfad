import { fitExcerpt, storedExcerpt } from '../analysis/stored-excerpt.js';
import { excerptFileSync, type Excerpt } from '../analysis/excerpt.js';
import { excerptHeading, renderExcerpt } from '../analysis/render-excerpt.js';
import type { Job, Run } from '../store/index.js';
import { batchOf } from '../core/records/run-record.js';
import { specView } from '../engine/job-spec-view.js';
import { describeWaiver } from '../core/waivers.js';

/** One line per target: what it is doing or how it ended, and why. */
export function matrixLines(run: Run, jobs: readonly Job[]): string[] {
  const width = Math.max(6, ...jobs.map((j) => jobLabel(j).length));
  // A disabled target is skipped in every round of a phase2: its reason is said once.
  const skipsSaid = new Set<string>();
  const lines = jobs.map((j) => {
    const status = jobStatus(j);
    const attempt = j.attempt > 1 || (j.state !== 'finished' && j.attempt > 0) ? ` (attempt ${j.attempt}/${j.maxAttempts}${interrupted(j)})` : '';
    let why = j.state === 'finished' && (j.result !== 'success' || j.carriedFrom) && j.reason ? `  ${j.reason}` : '';
    if (j.result === 'failure' && j.waiver) why += `; WAIVED ${describeWaiver(j.waiver)}`;
    if (j.result === 'skipped') {
      const reason = j.skipReason ?? '';
      why = `  ${skipsSaid.has(reason) ? '(as above)' : reason}`;
      skipsSaid.add(reason);
    }
    return `  ${jobLabel(j).padEnd(width)}  ${symbol(status)} ${status}${attempt}${why}`;
  });
  const of = run.updateId ?? batchSize(run);
  // An images run tests no update: `(images)`, not `(images of -)`.
  const what = of === undefined ? run.pipeline : `${run.pipeline} of ${of}`;
  const head = run.verdict ? `run ${run.id} (${what}): ${run.verdict.toUpperCase()}${run.reason ? ` - ${run.reason}` : ''}` : `run ${run.id} (${what}): ${run.state}${run.reason ? ` - ${run.reason}` : ''}`;
  return [head, ...lines];
}

/** What a job is doing, or how it ended: `queued`, `running`, `retrying`, or its result. */
export function jobStatus(j: Pick<Job, 'state' | 'result' | 'attempt'>): string {
  return j.state === 'finished' ? (j.result ?? 'finished') : j.state === 'running' ? 'running' : j.attempt > 0 ? 'retrying' : 'queued';
}

/** Attempts given back after their worker died: why the count of attempts grew. */
function interrupted(j: Pick<Job, 'interruptions'>): string {
  return j.interruptions > 0 ? `, ${j.interruptions} lost to a stopped worker` : '';
}

/** A phase2 job tests a group of updates in one round of a stage: say which. */
export function jobLabel(j: Pick<Job, 'target' | 'spec'>): string {
  const spec = specView(j);
  if (!spec?.group || spec.round === undefined) return j.target;
  return `${spec.stage === 'checks' ? 'checks' : 'tests'} r${spec.round} [${spec.group.join(' ')}] ${j.target}`;
}

/** phase2 names its batch, promote what ready/ held: "3 updates". */
function batchSize(run: Run): string | undefined {
  const ids = batchOf(run);
  return ids ? `${ids.length} update${ids.length === 1 ? '' : 's'}` : undefined;
}

function symbol(status: string): string {
  switch (status) {
    case 'success': return '✔';
    case 'failure': return '✘';
    case 'skipped': return '⊘';
    case 'running': return '▶';
    case 'infra': case 'timeout': return '!';
    case 'cancelled': return '■';
    default: return '·';
  }
}

/** A run summary shows several jobs' excerpts: shorter ones than `sluice logs` does. */
const SUMMARY_EXCERPT_LINES = 15;

/** The error excerpt of each job that did not pass, then where its whole log is. */
export function failureDetails(jobs: readonly Job[]): string[] {
  const out: string[] = [];
  for (const j of jobs) {
    if (j.state !== 'finished' || j.result === 'success' || j.result === 'skipped' || j.result === 'cancelled') continue;
    out.push('', `${j.target}: ${j.result}${j.reason ? ` - ${j.reason}` : ''}`);
    if (j.result === 'failure' && j.waiver) out.push(`  waived ${describeWaiver(j.waiver)}`);
    const kept = storedExcerpt(j.excerpt);
    const excerpt = kept ? fitExcerpt(kept, SUMMARY_EXCERPT_LINES) : j.logPath ? readExcerpt(j.logPath, SUMMARY_EXCERPT_LINES) : undefined;
    if (excerpt && excerpt.lines.length > 0) {
      out.push(`  ${excerptHeading(excerpt)}`);
      for (const l of renderExcerpt(excerpt)) out.push(`  ${l}`);
    }
    if (j.logPath) out.push(`  full log: ${j.logPath}`);
    out.push(`  sluice logs ${j.id}`);
  }
  return out;
}

/**
 * The error excerpt of a job's log, or undefined when it cannot be read. The whole log is
 * scanned once with bounded memory (analysis/excerpt.ts), so the first error of a long log
 * is found too, not only what its last megabyte holds.
 */
export function readExcerpt(path: string, maxLines?: number): Excerpt | undefined {
  try {
    return excerptFileSync(path, maxLines === undefined ? {} : { maxLines });
  } catch {
    return undefined;
  }
}
