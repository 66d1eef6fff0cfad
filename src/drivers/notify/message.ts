import type { Job, Run } from '../../store/index.js';
import { inline, MAX_EXCERPT_LINES, type JobExcerpt } from '../gerrit/comment.js';
import { failedJobs } from './rules.js';

/**
 * What a notification says about a finished run, as the Gerrit comment does: the verdict
 * and its reason, each failed target with the first error lines of its log (the stored
 * excerpt), and one link, to the run's page. The same words go by mail (plain text) and
 * in a webhook's JSON (`text`, beside the same facts as fields). Everything is bounded and
 * text Sluice does not control is made one line without hidden characters, so a log cannot
 * make a message that a mail server or a chat refuses, or one that reads as something else.
 */

export const MAX_FAILURES_SHOWN = 20;
export const MAX_TEXT_CHARS = 16_000;
const MAX_LINE_CHARS = 200;

export interface RunMessageInput {
  readonly run: Run;
  readonly jobs: readonly Job[];
  /** The error lines of failed jobs, by job id. */
  readonly excerpts: ReadonlyMap<string, JobExcerpt>;
  /** The run's page; undefined gives `sluice status RUN` instead. */
  readonly runUrl: string | undefined;
}

/** A failed job as a webhook's body lists it. */
export interface FailureView {
  readonly job: string;
  readonly target: string;
  readonly result: string;
  readonly reason: string | null;
  /** e.g. "log lines 12-40 of 505". */
  readonly heading: string | null;
  readonly lines: readonly string[];
}

export interface RunMessage {
  readonly subject: string;
  readonly text: string;
  readonly failures: readonly FailureView[];
  /** The one link (or the command that shows the run). */
  readonly link: string;
}

/** The body of every webhook delivery (`X-Sluice-Event: run.finished`). */
export interface WebhookBody {
  readonly event: 'run.finished';
  /** The delivery id, also in `X-Sluice-Delivery`: the same on every retry. */
  readonly delivery: string;
  readonly rule: string;
  readonly run: {
    readonly id: string;
    readonly pipeline: string;
    readonly verdict: string | null;
    readonly reason: string | null;
    readonly update: string | null;
    readonly finishedAt: string | null;
    readonly url: string | null;
  };
  readonly failures: readonly FailureView[];
  /** The mail's text, for receivers that only show text (a chat). */
  readonly text: string;
}

const VERDICT_WORDS: Record<string, string> = { pass: 'PASSED', fail: 'FAILED', error: 'ERROR', held: 'HELD', cancelled: 'CANCELLED' };

export function verdictWord(verdict: string | null): string {
  return verdict === null ? 'UNFINISHED' : (VERDICT_WORDS[verdict] ?? verdict.toUpperCase());
}

/** The run's page under the dashboard's public URL. */
export function runPageUrl(webUrl: string | undefined, runId: string): string | undefined {
  if (!webUrl) return undefined;
  const base = webUrl.endsWith('/') ? webUrl : `${webUrl}/`;
  return new URL(`runs/${encodeURIComponent(runId)}`, base).href;
}

export function runMessage(input: RunMessageInput): RunMessage {
  const { run, jobs } = input;
  const subject = `[sluice] ${run.pipeline} ${verdictWord(run.verdict)}${run.updateId ? ` for ${inline(run.updateId)}` : ''}${run.reason ? `: ${inline(run.reason)}` : ''}`;
  const link = input.runUrl ?? `sluice status ${run.id}`;
  const failed = failedJobs(jobs);
  const failures = failed.slice(0, MAX_FAILURES_SHOWN).map((j): FailureView => {
    const e = input.excerpts.get(j.id);
    return {
      job: j.id, target: j.target, result: j.result ?? 'unknown', reason: j.reason === null ? null : inline(j.reason),
      heading: e?.heading ? inline(e.heading) : null, lines: (e?.lines ?? []).slice(0, MAX_EXCERPT_LINES).map(logLine),
    };
  });
  const head = [
    `Sluice ${run.pipeline} run ${run.id}: ${verdictWord(run.verdict)}`,
    ...(run.reason ? [`Why: ${inline(run.reason)}`] : []),
    ...(run.updateId ? [`Update: ${inline(run.updateId)}`] : []),
    `Run: ${link}`,
    '',
    `Targets (${jobs.filter((j) => j.result !== 'skipped').length} tested, ${jobs.filter((j) => j.result === 'skipped').length} skipped, ${failed.length} failed).`,
  ];
  let budget = MAX_TEXT_CHARS - length(head) - 200;
  const details: string[] = [];
  let shown = 0;
  for (const f of failures) {
    const block = failureBlock(f);
    if (length(block) > budget) break;
    details.push(...block);
    budget -= length(block);
    shown++;
  }
  if (shown < failed.length) details.push('', `(${failed.length - shown} more failures left out: see the run's page)`);
  return { subject: subject.length > 200 ? `${subject.slice(0, 200)}…` : subject, text: [...head, ...details, ''].join('\n'), failures, link };
}

/** The JSON a webhook receives for one delivery. */
export function webhookBody(message: RunMessage, run: Run, delivery: string, rule: string, runUrl: string | undefined): WebhookBody {
  return {
    event: 'run.finished', delivery, rule,
    run: {
      id: run.id, pipeline: run.pipeline, verdict: run.verdict, reason: run.reason === null ? null : inline(run.reason), update: run.updateId,
      finishedAt: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(), url: runUrl ?? null,
    },
    failures: message.failures,
    text: message.text,
  };
}

function failureBlock(f: FailureView): string[] {
  const out = ['', `${f.target} ${f.result === 'failure' ? 'failed' : `ended as ${f.result}`}${f.reason ? `: ${f.reason}` : ''}`];
  if (f.heading) out.push(f.heading);
  for (const l of f.lines) out.push(`    ${l}`);
  return out;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** A log line shown verbatim: one line, no hidden characters, bounded. */
function logLine(s: string): string {
  const clean = s.replace(/\t/g, '    ').replace(/\r?\n|\r/g, ' ').replace(HIDDEN, '').trimEnd();
  return clean.length > MAX_LINE_CHARS ? `${clean.slice(0, MAX_LINE_CHARS)}…` : clean;
}

function length(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}
