import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { errorExcerpt } from '../analysis/excerpt.js';
import type { Job, Run } from '../store/index.js';

/** One line per target: what it is doing or how it ended, and why. */
export function matrixLines(run: Run, jobs: readonly Job[]): string[] {
  const width = Math.max(6, ...jobs.map((j) => j.target.length));
  const lines = jobs.map((j) => {
    const status = j.state === 'finished' ? (j.result ?? 'finished') : j.state === 'running' ? 'running' : j.attempt > 0 ? 'retrying' : 'queued';
    const attempt = j.attempt > 1 || (j.state !== 'finished' && j.attempt > 0) ? ` (attempt ${j.attempt}/${j.maxAttempts})` : '';
    const why = j.result === 'skipped' ? `  ${j.skipReason ?? ''}` : j.state === 'finished' && j.result !== 'success' && j.reason ? `  ${j.reason}` : '';
    return `  ${j.target.padEnd(width)}  ${symbol(status)} ${status}${attempt}${why}`;
  });
  const head = run.verdict ? `run ${run.id} (${run.pipeline} of ${run.updateId ?? '-'}): ${run.verdict.toUpperCase()}${run.reason ? ` - ${run.reason}` : ''}` : `run ${run.id} (${run.pipeline} of ${run.updateId ?? '-'}): ${run.state}`;
  return [head, ...lines];
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

/** The error excerpt of each job that did not pass, then where its whole log is. */
export function failureDetails(jobs: readonly Job[]): string[] {
  const out: string[] = [];
  for (const j of jobs) {
    if (j.state !== 'finished' || j.result === 'success' || j.result === 'skipped' || j.result === 'cancelled') continue;
    out.push('', `${j.target}: ${j.result}${j.reason ? ` - ${j.reason}` : ''}`);
    const excerpt = j.logPath ? readExcerpt(j.logPath) : undefined;
    if (excerpt) {
      out.push(`  log lines ${excerpt.firstLine}-${excerpt.firstLine + excerpt.lines.length - 1} of ${excerpt.totalLines}:`);
      for (const l of excerpt.lines) out.push(`  | ${l}`);
    }
    if (j.logPath) out.push(`  full log: ${j.logPath}`);
    out.push(`  sluice logs ${j.id}`);
  }
  return out;
}

/** Reads at most the last 1 MiB: a flooded log must not flood the terminal or memory. */
export function readExcerpt(path: string): ReturnType<typeof errorExcerpt> | undefined {
  try {
    const size = statSync(path).size;
    const length = Math.min(size, 1024 * 1024);
    const buf = Buffer.alloc(length);
    const fd = openSync(path, 'r');
    try { readSync(fd, buf, 0, length, size - length); } finally { closeSync(fd); }
    const text = buf.toString('utf8');
    // Past 1 MiB the first line read is likely cut: drop it. Line numbers then count
    // from the part read, which is what the excerpt's caller is told by `totalLines`.
    return errorExcerpt(size > length ? text.slice(text.indexOf('\n') + 1) : text);
  } catch {
    return undefined;
  }
}
