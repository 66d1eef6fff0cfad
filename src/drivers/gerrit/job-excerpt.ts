import { excerptFile } from '../../analysis/excerpt.js';
import { excerptHeading, renderExcerpt } from '../../analysis/render-excerpt.js';
import type { Job } from '../../store/index.js';
import { MAX_EXCERPT_LINES, type JobExcerpt } from './comment.js';

/**
 * A failed job's first error lines for its review comment: the log is scanned once with
 * bounded memory (analysis/excerpt.ts), so the first error of a long log is found too.
 * A log that is gone or unreadable gives no excerpt; the comment still links to the job.
 */
export async function jobExcerpt(job: Job): Promise<JobExcerpt | undefined> {
  if (!job.logPath) return undefined;
  try {
    const e = await excerptFile(job.logPath, { maxLines: MAX_EXCERPT_LINES });
    if (e.lines.length === 0) return undefined;
    return { heading: excerptHeading(e), lines: renderExcerpt(e, { numbers: true }) };
  } catch {
    return undefined;
  }
}
