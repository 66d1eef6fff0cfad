/** The shapes an excerpt is made of, shared by the scanner, the selection and their callers. */

export interface ExcerptLine {
  /** 1-based line number in the log, so a page can link to it. */
  readonly n: number;
  /** The line as a terminal shows it: no CR, escape sequences or control characters; at most MAX_LINE_CHARS. */
  readonly text: string;
  /** `set/name` of the pattern the line matched, when it is a hit rather than context. */
  readonly matched?: string;
  /** Characters cut off the end of a very long line. */
  readonly clipped?: number;
}

export interface Excerpt {
  /** In log order; not necessarily contiguous. */
  readonly lines: readonly ExcerptLine[];
  readonly totalLines: number;
  /** Set when matched lines did not fit in the line budget: the number of the first one left out. */
  readonly truncatedAt?: number;
}

/** A line kept for context: what the scanner remembers of the lines around a hit. */
export interface SeenLine {
  readonly n: number;
  readonly text: string;
  readonly clipped: number;
}

/** A candidate line, with the context captured around it while streaming. */
export interface Hit {
  readonly line: SeenLine;
  readonly patternId: string;
  readonly severity: number;
  readonly before: readonly SeenLine[];
  readonly after: SeenLine[];
  /** How many times the same line (exact text) was seen again: shown once. */
  repeats: number;
  /** Forgotten: dismissed by a later line, or evicted to keep memory bounded. */
  dropped: boolean;
}
