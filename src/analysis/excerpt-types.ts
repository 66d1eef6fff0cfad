/** The shapes an excerpt is made of, shared by the scanner, the selection and their callers. */

export interface ExcerptLine {
  /** 1-based line number in the log, so a page can link to it. */
  readonly n: number;
  /** The line as a terminal shows it: no CR, escape sequences or control characters; at most MAX_LINE_CHARS. */
  readonly text: string;
  /** `set/name` of the pattern the line matched, when it is a hit rather than context. */
  readonly matched?: string;
  /** Characters cut off a very long line (after its first MAX_LINE_CHARS, before `tail`). */
  readonly clipped?: number;
  /** The end of a clipped line, where a one-line result often says why (its last LINE_TAIL_CHARS). */
  readonly tail?: string;
  /** How many more lines like it (the same, or in a run the same but for numbers) it stands for. */
  readonly repeats?: number;
}

export interface Excerpt {
  /** In log order; not necessarily contiguous. */
  readonly lines: readonly ExcerptLine[];
  readonly totalLines: number;
  /** Set when matched lines did not fit in the line budget: the number of the first one left out. */
  readonly truncatedAt?: number;
  /** The line where a step was first said to have failed (`The command ... exited with 1`, `make: ***`). */
  readonly failedAt?: number;
  /** The passing log compared with: its lines were left out as noise (reference-log.ts). */
  readonly reference?: { readonly label: string; readonly knownLines: number };
}

/** A line kept for context: what the scanner remembers of the lines around a hit. */
export interface SeenLine {
  readonly n: number;
  readonly text: string;
  readonly clipped: number;
  readonly tail?: string;
  /** The reference (passing) log has the same line: noise. */
  readonly known?: boolean;
  /** Printed while muted (a passing test's output in a subunit v1 text stream). */
  readonly quiet?: boolean;
  /** Reports a passing test (excerpt-steps.ts PASSING_LINE): never fills the budget. */
  readonly passing?: boolean;
}

/** A candidate line, with the context captured around it while streaming. */
export interface Hit {
  readonly line: SeenLine;
  readonly patternId: string;
  readonly severity: number;
  readonly before: readonly SeenLine[];
  readonly after: SeenLine[];
  /** Lines beyond that context, nearest last above and nearest first below: used when the budget allows. */
  readonly spareBefore: readonly SeenLine[];
  readonly spareAfter: SeenLine[];
  /** How many times the same line (exact text) was seen again: shown once. */
  repeats: number;
  /** The step (excerpt-steps.ts) the line was printed in, counted from 0. */
  readonly step: number;
  /** Forgotten: dismissed by a later line, or evicted to keep memory bounded. */
  dropped: boolean;
}

/** The end of the step that failed, as the scanner saw it. */
export interface FailedStep {
  /** The line that says so; absent when the log just ends (the failure is its end). */
  readonly marker?: SeenLine;
  readonly step: number;
  /** Its last informative lines before the marker, oldest first, runs of a repeated line collapsed. */
  readonly block: readonly SeenLine[];
  /** The first lines of the paragraph the step ends with, when they lie above `block`. */
  readonly head: readonly SeenLine[];
  /** For each line of `block` that ends a run of lines alike but for their numbers, how many came before it. */
  readonly repeats: ReadonlyMap<number, number>;
}
