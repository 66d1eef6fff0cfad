import type { Excerpt, ExcerptLine, FailedStep, Hit, SeenLine } from './excerpt-types.js';

/**
 * Choosing the lines of an excerpt from the hits a scan kept, within a line budget.
 *
 * The order in which lines claim the budget is the policy:
 * 1. the line that says a step failed and the last informative lines of that step (a
 *    linter's findings, an assertion, the compiler error above `make: ***`, whatever words
 *    they use), up to FIRST_BLOCK_LINES of them;
 * 2. the first hit of each strong pattern (the root cause is usually the first error of
 *    its kind), strongest first;
 * 3. the last lines of the log (how it stopped), then the last hit of each strong pattern
 *    (the error that ended the run), strongest first, then the rest of the failed step's block,
 *    then the line below and above each of those first and last hits (what is missed most
 *    often sits right next to a line shown);
 * 4. every other hit not much weaker than the strongest, strongest first, then in log order.
 * A hit in a step before the failed one (a linter whose findings did not fail the job, a
 * configure probe's deliberate error) counts EARLIER_STEP weaker; one in the failed step
 * FAILED_STEP_BONUS stronger.
 * "Strong" means within STRONG_SPREAD of the log's strongest severity: when a dependency
 * error (9) is present, the word "failed" (2) is noise; when nothing better is present, it
 * is the best clue there is. A hit gets its context when the whole block fits, else its
 * line alone; a hit that cannot fit even alone sets `truncatedAt`.
 */
const STRONG_SPREAD = 3;
const CANDIDATE_SPREAD = 5;
const EARLIER_STEP = 4;
const FAILED_STEP_BONUS = 1;
/** Hits weaker than this are left out when they come before the failed step. */
const WEAK = 5;
/** Lines on each side of a strong hit shown that come before the weaker hits. */
const NEAR_ROUNDS = 1;
/** The share of the budget the failed step's block takes before any hit (8 of 40 lines)... */
const FIRST_BLOCK_SHARE = 0.2;
/** ...and from the marker up, after the first and last hits, before the others (12 of 40). */
const SECOND_BLOCK_SHARE = 0.3;

export interface Selection {
  readonly hits: readonly Hit[];
  readonly firstLast: ReadonlyMap<Hit, 'first' | 'last'>;
  /** The last lines of the log, oldest first. */
  readonly recent: readonly SeenLine[];
  readonly totalLines: number;
  readonly maxLines: number;
  readonly tailLines: number;
  readonly failed?: FailedStep;
  readonly reference?: Excerpt['reference'];
}

export function selectExcerpt(s: Selection): Excerpt {
  const extra = {
    ...(s.failed?.marker ? { failedAt: s.failed.marker.n } : {}),
    ...(s.reference ? { reference: s.reference } : {}),
  };
  const repeats = new Map<number, number>(s.failed?.repeats ?? []);
  for (const h of s.hits) if (h.repeats > 0) repeats.set(h.line.n, h.repeats);
  // A log that just ends failed in its last step, when it has steps at all.
  const failedStep = s.failed?.marker || (s.failed?.step ?? 0) > 0 ? s.failed?.step : undefined;
  // A faint sign (the word "error" in a banner, a warning) before the failed step is noise.
  const hits = failedStep === undefined ? s.hits : s.hits.filter((h) => h.step >= failedStep || h.severity >= WEAK);
  const severity = (h: Hit) => failedStep === undefined ? h.severity : h.step < failedStep ? h.severity - EARLIER_STEP : h.step === failedStep ? h.severity + FAILED_STEP_BONUS : h.severity;
  const block = s.failed ? [...s.failed.block, ...(s.failed.marker ? [s.failed.marker] : [])] : [];
  const chosen = new Map<number, SeenLine>();
  const shownTexts = new Set<string>();
  // Lines that fill the budget rather than answer a hit: never one already shown, nor noise.
  const fill = (l: SeenLine | undefined): void => {
    if (!l || l.known || l.quiet || l.passing || chosen.size >= s.maxLines || chosen.has(l.n)) return;
    if (l.text.trim() !== '' && shownTexts.has(l.text)) return;
    chosen.set(l.n, l);
    shownTexts.add(l.text);
  };
  if (hits.length === 0) {
    [...block].reverse().slice(0, Math.floor(s.maxLines * FIRST_BLOCK_SHARE) || block.length).forEach(fill);
    if (s.maxLines >= 10) (s.failed?.head ?? []).forEach(fill);
    [...block].reverse().forEach(fill);
    s.recent.slice(-s.maxLines).reverse().forEach(fill);
    const lines = [...chosen.values()].sort((a, b) => a.n - b.n).map((l) => toExcerptLine(l, undefined, repeats.get(l.n)));
    return { lines, totalLines: s.totalLines, ...extra };
  }
  const maxSeverity = Math.max(...hits.map(severity));
  const strong = (h: Hit) => severity(h) >= maxSeverity - STRONG_SPREAD;
  const byStrength = (a: Hit, b: Hit) => severity(b) - severity(a) || a.line.n - b.line.n;
  const firsts = hits.filter((h) => strong(h) && s.firstLast.get(h) === 'first').sort(byStrength);
  const lasts = hits.filter((h) => strong(h) && s.firstLast.get(h) === 'last').sort((a, b) => severity(b) - severity(a) || b.line.n - a.line.n);
  const rest = hits.filter((h) => severity(h) >= maxSeverity - CANDIDATE_SPREAD && !s.firstLast.has(h)).sort(byStrength);
  const weakerEnds = hits.filter((h) => !strong(h) && severity(h) >= maxSeverity - CANDIDATE_SPREAD && s.firstLast.has(h));

  const leftOut: number[] = [];
  const put = (l: SeenLine): void => {
    chosen.set(l.n, l);
    shownTexts.add(l.text);
  };
  const place = (lines: readonly SeenLine[], anchor?: SeenLine): void => {
    // Context that repeats a line already shown (or the hit itself) says nothing new.
    // Nor does a passing test's result.
    const fresh = lines.filter((l) => !chosen.has(l.n) && (l === anchor || l.text.trim() === '' || (!l.passing && !shownTexts.has(l.text) && l.text !== anchor?.text)));
    if (chosen.size + fresh.length <= s.maxLines) {
      fresh.forEach(put);
    } else if (anchor && !chosen.has(anchor.n)) {
      if (chosen.size < s.maxLines) put(anchor);
      else leftOut.push(anchor.n);
    }
  };
  const placeHit = (h: Hit) => place([...h.before, h.line, ...h.after], h.line);

  const firstBlock = block.slice(-Math.floor(s.maxLines * FIRST_BLOCK_SHARE) || block.length);
  // A block line that repeats a first hit's text waits: the hit shows it, with its count.
  const firstTexts = new Set(firsts.map((h) => h.line.text));
  firstBlock.filter((l) => !firstTexts.has(l.text)).forEach(fill);
  firsts.forEach(placeHit);
  place(s.recent.slice(-s.tailLines));
  lasts.forEach(placeHit);
  if (s.maxLines >= 10) (s.failed?.head ?? []).forEach(fill);
  const fromMarker = block.slice().reverse();
  fromMarker.slice(0, Math.floor(s.maxLines * SECOND_BLOCK_SHARE)).forEach(fill);
  // The nearest lines around the strong hits already shown come before weaker hits elsewhere.
  const nearFirst = [...firsts, ...lasts].filter((h) => chosen.has(h.line.n));
  for (let i = 0; i < NEAR_ROUNDS && chosen.size < s.maxLines; i++) {
    for (const h of nearFirst) {
      fill(h.spareAfter[i]);
      fill(h.spareBefore[h.spareBefore.length - 1 - i]);
    }
  }
  [...rest, ...weakerEnds].sort(byStrength).forEach(placeHit);
  fromMarker.forEach(fill);

  // What budget is left goes to the lines nearest those shown: below each shown hit's
  // block first (a failure's detail follows it), then above, a line at a time, in the order
  // the hits were ranked.
  const shown = [...firsts, ...lasts, ...rest, ...weakerEnds].filter((h) => chosen.has(h.line.n));
  for (let i = 0; i < 5 && chosen.size < s.maxLines; i++) {
    for (const h of shown) {
      fill(h.spareAfter[i]);
      fill(h.spareBefore[h.spareBefore.length - 1 - i]);
    }
  }

  const matchedAt = new Map<number, Hit>();
  for (const h of hits) {
    const other = matchedAt.get(h.line.n);
    if (chosen.has(h.line.n) && (!other || h.severity > other.severity)) matchedAt.set(h.line.n, h);
  }
  const lines = [...chosen.values()].sort((a, b) => a.n - b.n).map((l) => toExcerptLine(l, matchedAt.get(l.n)?.patternId, repeats.get(l.n)));
  const truncatedAt = leftOut.length > 0 ? Math.min(...leftOut) : undefined;
  return { lines, totalLines: s.totalLines, ...(truncatedAt === undefined ? {} : { truncatedAt }), ...extra };
}

function toExcerptLine(l: SeenLine, matched?: string, repeats?: number): ExcerptLine {
  return {
    n: l.n, text: l.text, ...(matched ? { matched } : {}), ...(l.clipped > 0 ? { clipped: l.clipped } : {}),
    ...(l.tail !== undefined ? { tail: l.tail } : {}), ...(repeats ? { repeats } : {}),
  };
}
