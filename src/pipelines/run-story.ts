import type { Job, Run } from '../store/index.js';

/** Jobs under one heading of `sluice explain` (a phase2 group); no heading: one flat list. */
export interface StorySection {
  readonly heading?: string;
  readonly jobs: readonly Job[];
}

/** A piece of an outcome line: text, or a reference the front end turns into a link. */
export type OutcomePart = string | { readonly update: string } | { readonly job: string };

/** One line of the run page's outcome list. */
export interface OutcomeItem {
  readonly parts: readonly OutcomePart[];
  /** Names a culprit or a refused update: shown as one. */
  readonly culprit?: boolean;
}

/**
 * How a pipeline's runs are told: `sluice explain` (head, sections, verdict, reported),
 * `sluice status` and the pipeline's own command (outcome lines), the run page (outcome
 * items). Pure: from the run and its jobs to text, so CLI and web say the same.
 */
export interface RunStory {
  /** What the run tested, from which inputs and configuration, and its plan. */
  head(run: Run, jobs: readonly Job[], created: string): string[];
  sections(run: Run, jobs: readonly Job[]): StorySection[];
  /** Under the verdict line: what it decided, and the rule that gave it. */
  verdict(run: Run, jobs: readonly Job[]): string[];
  /** After "reported": what the report changed (empty when nothing). */
  reported(run: Run): string;
  /** What the run decided, for the terminal; `failures` renders failing jobs' error lines. */
  outcomeLines(run: Run, jobs: readonly Job[], failures: (jobs: readonly Job[]) => string[]): string[];
  /** The run page's outcome list (empty: no outcome section); with its jobs when the page has them. */
  outcomeItems(run: Run, jobs?: readonly Job[]): OutcomeItem[];
  /** What a target's cell on the front page names the run's newest job by. */
  cellLabel(run: Run, job: Job): string;
  /** What `sluice explain` of a failed run shows (the demo's hint). */
  readonly failureHint: string;
}
