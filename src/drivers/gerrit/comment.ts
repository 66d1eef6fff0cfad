import { describeWaiver } from '../../core/waivers.js';
import type { Job, Run } from '../../store/index.js';
import { recordedTestedWith, testedWithLines } from '../../core/tested-with-text.js';
import { specView } from '../../engine/job-spec-view.js';

/**
 * The review comments Sluice posts. Gerrit shows comments as plain text with a light
 * markup (a line starting with "- " is a list item, "> " a quote, a leading space
 * preformatted; newer versions render Markdown), so text Sluice does not control (log
 * lines, reasons naming packages, authors' names) is neutralised: control and
 * bidirectional characters go, an inline value is one line, and log lines are indented
 * four spaces, which both renderings show verbatim. Everything is bounded, so a 64 MiB
 * log cannot make a comment Gerrit refuses (its default limit is 16 KiB).
 */

/** The error lines of one job's log, as its excerpt found them. */
export interface JobExcerpt {
  /** e.g. "log lines 12-40 of 505". */
  readonly heading?: string;
  readonly lines: readonly string[];
}

export interface RunCommentInput {
  readonly run: Run;
  readonly jobs: readonly Job[];
  readonly excerpts: ReadonlyMap<string, JobExcerpt>;
  /** The page of a job's log; undefined gives `sluice logs JOB` instead. */
  readonly jobUrl: (job: Job) => string | undefined;
}

export const MAX_COMMENT_CHARS = 12_000;
export const MAX_EXCERPT_LINES = 15;
const MAX_LINE_CHARS = 200;
const MAX_INLINE_CHARS = 300;

/**
 * The line every Sluice comment about a run ends with: how a repeated report finds it
 * already posted. A verdict given again after a waiver (revision 1, 2...) is another
 * report, with its own marker.
 */
export function runMarker(runId: string, revision = 0): string {
  return revision > 0 ? `(sluice run ${runId}, verdict ${revision})` : `(sluice run ${runId})`;
}

const VERDICT_WORDS: Record<string, string> = { pass: 'PASSED', fail: 'FAILED', error: 'ERROR', held: 'HELD', cancelled: 'CANCELLED' };

/** One comment per run: the verdict, the matrix, each failure's first error lines and one link. */
export function runComment(input: RunCommentInput): string {
  const { run, jobs } = input;
  const verdict = run.verdict ?? 'error';
  const ran = jobs.filter((j) => j.result !== 'skipped');
  const failed = jobs.filter(isFailure);
  const head = `Sluice phase1: ${VERDICT_WORDS[verdict] ?? verdict.toUpperCase()}${run.reason ? ` - ${inline(run.reason)}` : ''}`;
  const out: string[] = [head, ''];
  if ((run.verdictRevision ?? 0) > 0) out.push('This verdict was given again: a release manager waived a failure of this update\'s content (below).', '');
  if (verdict === 'error') out.push('This is not the update\'s fault: the test infrastructure failed. Comment "recheck" to run it again, or "recheck failed" to run only the targets that did not pass.', '');
  if (verdict === 'held') out.push('Every target of this update is disabled, so nothing was tested; it is neither passed nor blamed. Comment "recheck" once a target is enabled again.', '');
  out.push(`Targets (${ran.length} tested, ${jobs.length - ran.length} skipped):`);
  for (const j of jobs) out.push(`- ${matrixLine(j)}`);
  // Updates that need each other (docs/gerrit.md, Depends-On): what it was tested with.
  const alongside = testedWithLines(recordedTestedWith(run.inputs), jobs.map((j) => ({ target: j.target, testedWith: specView(j)?.testedWith })));
  if (alongside.length > 0) out.push('', 'Tested with other updates:', ...alongside.map((l) => `- ${inline(l)}`));
  const tail = [''];
  if (verdict === 'fail') tail.push('Fix the update and upload a new patch set; comment "recheck" to test this one again.');
  tail.push(runMarker(run.id, run.verdictRevision ?? 0));
  let budget = MAX_COMMENT_CHARS - length(out) - length(tail);
  const details: string[] = [];
  for (const j of failed) {
    const block = failureBlock(j, input.excerpts.get(j.id), input.jobUrl(j));
    const short = failureBlock(j, undefined, input.jobUrl(j), 'the error lines did not fit in this comment');
    const chosen = length(block) <= budget ? block : short;
    if (length(chosen) > budget) {
      details.push('', `(${failed.length - failed.indexOf(j)} more failures left out: see sluice status ${run.id})`);
      break;
    }
    details.push(...chosen);
    budget -= length(chosen);
  }
  return [...out, ...details, ...tail].join('\n');
}

/** A change Sluice will not test, and why. */
export function rejectionComment(patchset: number, problems: readonly string[]): string {
  const lines = [`Sluice cannot test patch set ${patchset} of this change:`, ''];
  let budget = MAX_COMMENT_CHARS - 400;
  for (const p of problems) {
    const line = `- ${inline(p)}`;
    if (line.length + 1 > budget) break;
    lines.push(line);
    budget -= line.length + 1;
  }
  lines.push('', 'Upload a fixed patch set; after changing only the topic, comment "recheck".');
  return lines.join('\n');
}

/** A reply to a comment command (`run phase2`, or a command refused). */
export function replyComment(text: string): string {
  return `Sluice: ${inline(text)}`;
}

function matrixLine(j: Job): string {
  const status = j.state === 'finished' ? (j.result ?? 'finished') : j.state;
  const why = j.result === 'skipped' ? j.skipReason : j.result !== 'success' || j.carriedFrom ? j.reason : null;
  const blame = j.result === 'infra' || j.result === 'timeout' ? ' (not the update\'s fault: recheck)' : '';
  const waived = j.result === 'failure' && j.waiver ? ` - WAIVED ${inline(describeWaiver(j.waiver))}` : '';
  return `${inline(j.target)}: ${status}${why ? ` - ${inline(why)}` : ''}${blame}${waived}`;
}

function isFailure(j: Job): boolean {
  return j.state === 'finished' && (j.result === 'failure' || j.result === 'infra' || j.result === 'timeout');
}

function failureBlock(j: Job, excerpt: JobExcerpt | undefined, url: string | undefined, note?: string): string[] {
  const out = ['', `${inline(j.target)} ${j.result === 'failure' ? 'failed' : `ended as ${j.result ?? 'unknown'}`}${j.reason ? `: ${inline(j.reason)}` : ''}`];
  if (j.result === 'failure' && j.waiver) out.push(`(waived ${inline(describeWaiver(j.waiver))})`);
  if (excerpt && excerpt.lines.length > 0) {
    if (excerpt.heading) out.push(inline(excerpt.heading));
    for (const l of excerpt.lines.slice(0, MAX_EXCERPT_LINES)) out.push(preformatted(l));
    if (excerpt.lines.length > MAX_EXCERPT_LINES) out.push(`(${excerpt.lines.length - MAX_EXCERPT_LINES} more lines on the log page)`);
  } else if (note) {
    out.push(`(${note})`);
  }
  out.push(url ? `Log: ${inline(url)}` : `Log: sluice logs ${inline(j.id)}`);
  return out;
}

function length(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

// C0 and C1 controls, and the bidirectional overrides and isolates that can make text read
// differently from what it is ("Trojan Source"); also zero-width characters.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** A value inside a sentence: one line, no hidden characters, bounded. */
export function inline(s: string): string {
  const flat = s.replace(/\t/g, ' ').replace(/\r?\n|\r/g, ' ').replace(HIDDEN, '').trim();
  return flat.length > MAX_INLINE_CHARS ? `${flat.slice(0, MAX_INLINE_CHARS)}…` : flat;
}

/** A log line shown verbatim: indented four spaces, which neither renderer interprets. */
function preformatted(s: string): string {
  const clean = s.replace(/\t/g, '    ').replace(/\r?\n|\r/g, ' ').replace(HIDDEN, '').trimEnd();
  return `    ${clean.length > MAX_LINE_CHARS ? `${clean.slice(0, MAX_LINE_CHARS)}…` : clean}`;
}
