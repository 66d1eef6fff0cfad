import type { Excerpt, ExcerptLine, Hit, SeenLine } from './excerpt-types.js';

/**
 * Choosing the lines of an excerpt from the hits a scan kept, within a line budget.
 *
 * The order in which hits claim the budget is the policy:
 * 1. the first hit of each strong pattern (the root cause is usually the first error of
 *    its kind), strongest first;
 * 2. the last lines of the log (how it stopped), then the last hit of each strong pattern
 *    (the error that ended the run), strongest first;
 * 3. every other hit not much weaker than the strongest, strongest first, then in log order.
 * "Strong" means within STRONG_SPREAD of the log's strongest severity: when a dependency
 * error (9) is present, the word "failed" (2) is noise; when nothing better is present, it
 * is the best clue there is. A hit gets its context when the whole block fits, else its
 * line alone; a hit that cannot fit even alone sets `truncatedAt`.
 */
const STRONG_SPREAD = 3;
const CANDIDATE_SPREAD = 5;

export interface Selection {
  readonly hits: readonly Hit[];
  readonly firstLast: ReadonlyMap<Hit, 'first' | 'last'>;
  /** The last lines of the log, oldest first. */
  readonly recent: readonly SeenLine[];
  readonly totalLines: number;
  readonly maxLines: number;
  readonly tailLines: number;
}

export function selectExcerpt(s: Selection): Excerpt {
  if (s.hits.length === 0) {
    return { lines: s.recent.slice(-s.maxLines).map((l) => toExcerptLine(l)), totalLines: s.totalLines };
  }
  const maxSeverity = Math.max(...s.hits.map((h) => h.severity));
  const strong = (h: Hit) => h.severity >= maxSeverity - STRONG_SPREAD;
  const byStrength = (a: Hit, b: Hit) => b.severity - a.severity || a.line.n - b.line.n;
  const firsts = s.hits.filter((h) => strong(h) && s.firstLast.get(h) === 'first').sort(byStrength);
  const lasts = s.hits.filter((h) => strong(h) && s.firstLast.get(h) === 'last').sort((a, b) => b.severity - a.severity || b.line.n - a.line.n);
  const rest = s.hits.filter((h) => h.severity >= maxSeverity - CANDIDATE_SPREAD && !s.firstLast.has(h)).sort(byStrength);
  const weakerEnds = s.hits.filter((h) => !strong(h) && h.severity >= maxSeverity - CANDIDATE_SPREAD && s.firstLast.has(h));

  const chosen = new Map<number, SeenLine>();
  const leftOut: number[] = [];
  const place = (lines: readonly SeenLine[], anchor?: SeenLine): void => {
    const fresh = lines.filter((l) => !chosen.has(l.n));
    if (chosen.size + fresh.length <= s.maxLines) {
      for (const l of fresh) chosen.set(l.n, l);
    } else if (anchor && !chosen.has(anchor.n)) {
      if (chosen.size < s.maxLines) chosen.set(anchor.n, anchor);
      else leftOut.push(anchor.n);
    }
  };
  const placeHit = (h: Hit) => place([...h.before, h.line, ...h.after], h.line);

  firsts.forEach(placeHit);
  place(s.recent.slice(-s.tailLines));
  lasts.forEach(placeHit);
  [...rest, ...weakerEnds].sort(byStrength).forEach(placeHit);

  const matchedAt = new Map<number, Hit>();
  for (const h of s.hits) {
    const other = matchedAt.get(h.line.n);
    if (chosen.has(h.line.n) && (!other || h.severity > other.severity)) matchedAt.set(h.line.n, h);
  }
  const lines = [...chosen.values()].sort((a, b) => a.n - b.n).map((l) => toExcerptLine(l, matchedAt.get(l.n)?.patternId));
  const truncatedAt = leftOut.length > 0 ? Math.min(...leftOut) : undefined;
  return truncatedAt === undefined ? { lines, totalLines: s.totalLines } : { lines, totalLines: s.totalLines, truncatedAt };
}

function toExcerptLine(l: SeenLine, matched?: string): ExcerptLine {
  return { n: l.n, text: l.text, ...(matched ? { matched } : {}), ...(l.clipped > 0 ? { clipped: l.clipped } : {}) };
}
