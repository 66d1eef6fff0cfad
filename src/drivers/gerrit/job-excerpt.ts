import { excerptFile } from '../../analysis/excerpt.js';
import { excerptHeading, renderExcerpt } from '../../analysis/render-excerpt.js';
import { storedExcerpt } from '../../analysis/stored-excerpt.js';
import type { Job } from '../../store/index.js';
import { MAX_EXCERPT_LINES, type JobExcerpt } from './comment.js';

/**
 * A failed job's first error lines for its review comment: the excerpt analysis stored
 * with the job (made with the site's own patterns), else one made now from its log, which
 * is scanned once with bounded memory, so the first error of a long log is found too. A
 * log that is gone or unreadable gives no excerpt; the comment still links to the job.
 */
export async function jobExcerpt(job: Job): Promise<JobExcerpt | undefined> {
  let e = storedExcerpt(job.excerpt);
  if (!e && job.logPath) {
    try {
      e = await excerptFile(job.logPath, { maxLines: MAX_EXCERPT_LINES });
    } catch {
      return undefined;
    }
  }
  if (!e || e.lines.length === 0) return undefined;
  return { heading: excerptHeading(e), lines: renderExcerpt(e, { numbers: true }) };
}
