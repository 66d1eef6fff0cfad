import type { Excerpt, FailedStep, Hit, SeenLine } from './excerpt-types.js';
import { selectExcerpt } from './excerpt-select.js';
import { FAILED_BLOCK_LINES, FAILED_BLOCK_REACH, isBookkeeping, PASSING_LINE, saysStepFailed, STEP_START, WARNING_LINE, WARNING_PENALTY } from './excerpt-steps.js';
import { cleanLine, detach } from './log-lines.js';
import { logMessage } from './log-prefix.js';
import type { CompiledPattern, CompiledPatterns } from './patterns.js';
import { normalizeLine, type ReferenceLog } from './reference-log.js';

/**
 * How many hits of one pattern are kept from the start and from the end of the log. With
 * their context (at most 20 lines above, 20 below plus 4 of detail, each at most
 * MAX_LINE_CHARS), this bounds the scanner's memory by the number of patterns, never by
 * the size of the log.
 */
const FIRST_KEPT = 8;
const LAST_KEPT = 8;
/** Lines of the log's end always offered to the excerpt: how it stopped. */
const TAIL_LINES = 3;
/** How far up a `dismiss` line can reach (patterns.ts caps context at 20 lines). */
const DISMISS_REACH = 20;
/** Indented lines after a hit read as its detail (yum's `Requires:`, dnf's `  - nothing provides`, javac's `symbol:`). */
const CONTINUATION_LINES = 4;
/** A Python traceback up to this long is kept whole above its exception line. */
const TRACEBACK_REACH = 24;
/**
 * A hit that follows a passing test's result line within this many lines takes the lines
 * between as its context: a reporter that prints each result after the test ran (xcpretty,
 * mocha, tasty) leaves what the failing test printed just above its result.
 */
const TEST_OUTPUT_REACH = 8;
/**
 * Lines kept beyond a hit's own context on each side, to fill a budget its hits leave
 * unused: most lines a reader needs that an excerpt misses sit next to a line it shows.
 */
const SPARE_LINES = 5;
/** Lines kept of the start of a paragraph (lines between blank ones). */
const PARAGRAPH_HEAD = 3;
const TRACEBACK = /^\s*Traceback \(most recent call last\):/;

interface PatternHits {
  readonly first: Hit[];
  readonly last: Hit[];
}

interface Collecting {
  readonly hit: Hit;
  readonly indent: number;
  afterLeft: number;
  continuationLeft: number;
  /** The hit ends with a colon: what follows is its detail, whatever its indent, blank lines within. */
  readonly announces: boolean;
  blanksLeft: number;
  spareLeft: number;
}

/**
 * One pass over a log, line by line, with memory bounded whatever its size: a ring of
 * recent lines (context above a hit, the tail, the whole excerpt when nothing matched) and,
 * per pattern, its first and last few hits with their context. Lines are pushed as they
 * are read; `finish()` chooses the excerpt.
 */
export class ExcerptScanner {
  private n = 0;
  private readonly ring: SeenLine[] = [];
  private ringStart = 0;
  private readonly ringSize: number;
  private readonly byPattern = new Map<string, PatternHits>();
  private readonly byText = new Map<string, Hit>();
  private collecting: Collecting[] = [];
  /** Hits of the last few lines, which a `dismiss` line may still take back. */
  private recent: Hit[] = [];
  private muted = false;
  private step = 0;
  private stepStart = 1;
  private failed: FailedStep | undefined;
  private tracebackAt: number | undefined;
  private lastPassingAt: number | undefined;
  private knownLines = 0;
  /** The first lines of the paragraph being read, and of the last one a blank line ended. */
  private paragraph: SeenLine[] = [];
  private lastParagraph: SeenLine[] = [];
  /** Whether the paragraph being read began after a blank line (not at the step's or log's start). */
  private afterBlank = false;

  constructor(private readonly compiled: CompiledPatterns, private readonly maxLines: number, private readonly reference?: ReferenceLog) {
    this.ringSize = Math.max(maxLines, compiled.maxBefore + 1, TAIL_LINES, FAILED_BLOCK_REACH + 1, TRACEBACK_REACH + 1);
  }

  /** One raw line (without its LF), how many characters were cut off it already, and the end of such a line. */
  push(raw: string, clipped = 0, rawTail?: string): void {
    const n = ++this.n;
    const text = cleanLine(raw);
    const tail = rawTail === undefined ? undefined : cleanLine(rawTail);
    const known = this.reference !== undefined && this.reference.has(text);
    if (known) this.knownLines++;
    const passing = PASSING_LINE.test(text);
    const line: SeenLine = {
      n, text, clipped, ...(tail === undefined ? {} : { tail }), ...(known ? { known } : {}), ...(this.muted ? { quiet: true } : {}), ...(passing ? { passing } : {}),
    };
    const message = logMessage(text);
    if (this.collecting.length > 0) this.collectAfter(line, message);
    if (STEP_START.test(text)) {
      this.step++;
      this.stepStart = n;
      this.paragraph = [];
      this.lastParagraph = [];
      this.afterBlank = false;
    }
    if (this.failed === undefined && saysStepFailed(text)) this.failed = this.failedStep(line);
    this.followParagraphs(line);
    if (TRACEBACK.test(message)) this.tracebackAt = n;
    if (!known && !passing) {
      // The end of a clipped line is matched too: a one-line JSON result ends with its reason.
      const full = tail === undefined ? text : `${text} ${tail}`;
      const matched = this.match(full, tail === undefined ? message : `${message} ${tail}`);
      if (matched.length > 0) this.apply(matched, line, message);
    }
    if (passing) this.lastPassingAt = n;
    this.remember(line);
  }

  finish(): Excerpt {
    const hits: Hit[] = [];
    const firstLast = new Map<Hit, 'first' | 'last'>();
    for (const { first, last } of this.byPattern.values()) {
      const live = [...first, ...last].filter((h) => !h.dropped);
      if (live.length === 0) continue;
      hits.push(...live);
      firstLast.set(live[0] as Hit, 'first');
      if (live.length > 1) firstLast.set(live[live.length - 1] as Hit, 'last');
    }
    const recent = this.recentLines();
    const failed = this.failed ?? this.endOfLog(recent);
    return selectExcerpt({
      hits, firstLast, recent, totalLines: this.n, maxLines: this.maxLines, tailLines: TAIL_LINES, failed,
      ...(this.reference ? { reference: { label: this.reference.label, knownLines: this.knownLines } } : {}),
    });
  }

  /** The failed step's last informative lines, above the line that says it failed. */
  private failedStep(marker: SeenLine): FailedStep {
    const from = Math.max(this.stepStart, marker.n - FAILED_BLOCK_REACH);
    const { block, repeats } = informative(this.lastLines(FAILED_BLOCK_REACH).filter((l) => l.n >= from));
    return { marker: { ...marker, text: detach(marker.text) }, step: this.step, block: block.map((l) => ({ ...l, text: detach(l.text) })), repeats, head: this.headAbove(block) };
  }

  /** A log that ends without saying a step failed: its end is where it failed. */
  private endOfLog(recent: readonly SeenLine[]): FailedStep {
    const { block, repeats } = informative(recent.slice(-FAILED_BLOCK_REACH).filter((l) => l.n >= this.stepStart));
    return { step: this.step, block, repeats, head: this.headAbove(block) };
  }

  /**
   * The first lines of the paragraph the failed step ends with, when they lie above its
   * block: a long report's heading ("Failures:", "> Links", a linter's banner) says what
   * the list under it is.
   */
  private headAbove(block: readonly SeenLine[]): SeenLine[] {
    const head = this.paragraph.length > 0 ? this.paragraph : this.lastParagraph;
    const first = block[0]?.n ?? Infinity;
    return head.filter((l) => l.n < first && l.n >= this.stepStart);
  }

  private followParagraphs(line: SeenLine): void {
    if (line.text.trim() === '') {
      if (this.paragraph.length > 0 && this.afterBlank) this.lastParagraph = this.paragraph;
      this.paragraph = [];
      this.afterBlank = true;
    } else if (!this.afterBlank) {
      return;
    } else if (this.paragraph.length < PARAGRAPH_HEAD && !line.known && !line.quiet && !isBookkeeping(line.text)) {
      this.paragraph.push({ ...line, text: detach(line.text) });
    }
  }

  private match(text: string, message: string): CompiledPattern[] {
    const c = this.compiled;
    const candidates = c.messageUnion.some((u) => u.test(message)) || c.lineUnion.some((u) => u.test(text));
    if (!candidates && c.alwaysTest.length === 0) return [];
    const pool = candidates ? c.patterns : c.alwaysTest;
    return pool.filter((p) => p.regex.test(p.onLine ? text : message));
  }

  private apply(matched: readonly CompiledPattern[], line: SeenLine, message: string): void {
    let best: CompiledPattern | undefined;
    for (const p of matched) {
      if (p.effect === 'dismiss') this.dismiss(line.n - p.before);
      else if (p.effect === 'mute') this.muted = true;
      else if (p.effect === 'unmute') this.muted = false;
      else if (!best || p.severity > best.severity) best = p;
    }
    if (best && !this.muted) {
      const severity = best.severity < 8 && WARNING_LINE.test(message) ? best.severity - WARNING_PENALTY : best.severity;
      if (severity >= 1) this.addHit(best, line, message, severity);
    }
  }

  private addHit(p: CompiledPattern, line: SeenLine, message: string, severity: number): void {
    const same = this.byText.get(line.text);
    if (same && !same.dropped) {
      same.repeats++;
      return;
    }
    const kept: SeenLine = { ...line, text: detach(line.text) };
    // An exception line closes a traceback: the whole of a short one is its context.
    let before = p.before;
    if (this.tracebackAt !== undefined && line.n - this.tracebackAt <= TRACEBACK_REACH && !/^\s/.test(message)) {
      before = Math.max(before, line.n - this.tracebackAt);
      this.tracebackAt = undefined;
    }
    if (this.lastPassingAt !== undefined && line.n - this.lastPassingAt - 1 <= TEST_OUTPUT_REACH) before = Math.max(before, line.n - this.lastPassingAt - 1);
    const hit: Hit = {
      line: kept, patternId: p.id, severity,
      before: this.lastLines(before).map((l) => ({ ...l, text: detach(l.text) })),
      after: [], repeats: 0, dropped: false, step: this.step,
      spareBefore: this.lastLines(before + SPARE_LINES).slice(0, -before || undefined).slice(-SPARE_LINES).map((l) => ({ ...l, text: detach(l.text) })),
      spareAfter: [],
    };
    let ph = this.byPattern.get(p.id);
    if (!ph) this.byPattern.set(p.id, (ph = { first: [], last: [] }));
    if (ph.first.length < FIRST_KEPT) ph.first.push(hit);
    else {
      ph.last.push(hit);
      if (ph.last.length > LAST_KEPT) this.drop(ph.last.shift() as Hit);
    }
    this.byText.set(kept.text, hit);
    const announces = message.trimEnd().endsWith(':');
    this.collecting.push({ hit, indent: indentOf(message), afterLeft: p.after, continuationLeft: CONTINUATION_LINES, announces, blanksLeft: announces ? CONTINUATION_LINES : 0, spareLeft: SPARE_LINES });
    this.recent.push(hit);
    if (this.recent.length > 64) this.recent = this.recent.filter((h) => h.line.n >= line.n - DISMISS_REACH);
  }

  private collectAfter(line: SeenLine, message: string): void {
    const still: Collecting[] = [];
    for (const c of this.collecting) {
      if (c.hit.dropped) continue;
      if (c.afterLeft > 0) {
        c.afterLeft--;
        c.hit.after.push({ ...line, text: detach(line.text) });
      } else if (c.continuationLeft > 0 && message.trim() !== '' && (c.announces || indentOf(message) > c.indent)) {
        c.continuationLeft--;
        c.hit.after.push({ ...line, text: detach(line.text) });
      } else if (c.continuationLeft > 0 && c.blanksLeft > 0 && message.trim() === '') {
        c.blanksLeft--;
        c.hit.after.push({ ...line, text: detach(line.text) });
      } else if (c.spareLeft > 0) {
        c.continuationLeft = 0;
        c.spareLeft--;
        c.hit.spareAfter.push({ ...line, text: detach(line.text) });
      } else continue;
      still.push(c);
    }
    this.collecting = still;
  }

  private dismiss(fromLine: number): void {
    for (const h of this.recent) {
      if (h.line.n < fromLine || h.dropped) continue;
      this.drop(h);
      // A dismissed hit gives its place among the pattern's first ones back.
      const ph = this.byPattern.get(h.patternId);
      if (ph) for (const list of [ph.first, ph.last]) if (list.includes(h)) list.splice(list.indexOf(h), 1);
    }
  }

  private drop(hit: Hit): void {
    hit.dropped = true;
    if (this.byText.get(hit.line.text) === hit) this.byText.delete(hit.line.text);
  }

  private remember(line: SeenLine): void {
    if (this.ring.length < this.ringSize) this.ring.push(line);
    else {
      this.ring[this.ringStart] = line;
      this.ringStart = (this.ringStart + 1) % this.ringSize;
    }
  }

  /** The last `count` lines read before the current one, oldest first. */
  private lastLines(count: number): SeenLine[] {
    const size = this.ring.length;
    const out: SeenLine[] = [];
    for (let i = size - Math.min(count, size); i < size; i++) out.push(this.ring[(this.ringStart + i) % size] as SeenLine);
    return out;
  }

  private recentLines(): SeenLine[] {
    return [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
  }
}

/**
 * The last FAILED_BLOCK_LINES lines of a stretch worth reading: no bookkeeping, no line the
 * passing reference has, nothing said while muted, and a run of lines alike but for their
 * numbers (progress, "Installing ... 12/231") kept once, as its last line, with its count.
 */
function informative(lines: readonly SeenLine[]): { block: SeenLine[]; repeats: Map<number, number> } {
  const block: SeenLine[] = [];
  const repeats = new Map<number, number>();
  let previousForm: string | undefined;
  for (const l of lines) {
    if (l.known || l.quiet || l.passing || isBookkeeping(l.text)) continue;
    const form = normalizeLine(l.text);
    const previous = block[block.length - 1];
    if (previous && form === previousForm) {
      block[block.length - 1] = l;
      repeats.set(l.n, (repeats.get(previous.n) ?? 0) + 1);
      repeats.delete(previous.n);
      continue;
    }
    previousForm = form;
    block.push(l);
  }
  const kept = block.slice(-FAILED_BLOCK_LINES);
  for (const n of [...repeats.keys()]) if (!kept.some((l) => l.n === n)) repeats.delete(n);
  return { block: kept, repeats };
}

function indentOf(message: string): number {
  const m = /^\s*/.exec(message);
  return m ? m[0].replace(/\t/g, '        ').length : 0;
}
