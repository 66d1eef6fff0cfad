import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Recall of an excerpt method on a labelled corpus of real CI failure logs, measured as
 * ../shared/eval/logchunks/README.md says: the first 60 lines a method prints, each line
 * and each expected line cleaned alike (what a terminal shows, trimmed); an expected line
 * is found when it occurs in one of them (its first 200 characters, for a very long one).
 * Shared by bench/excerpt-recall.bench.ts and test/analysis/eval-recall.test.ts.
 */

export interface LabelledLog {
  readonly name: string;
  /** What the log is grouped by when projects are left out: the repository, or the log's own kind. */
  readonly project: string;
  readonly path: string;
  readonly expected: readonly string[];
  /** Where the corpus holds one: a passing log of the same job, for the baseline comparison. */
  readonly passing?: string;
}

export const OUTPUT_LINES = 60;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** A line as the README's measure cleans it. */
export function cleanForRecall(line: string): string {
  let s = line.endsWith('\r') ? line.slice(0, -1) : line;
  const cr = s.lastIndexOf('\r');
  if (cr !== -1 && s.slice(cr + 1).trim() !== '') s = s.slice(cr + 1);
  return s.replace(ANSI, '').replace(CONTROL, '').trim();
}

/** LogChunks: `<Language>__<owner>@<repo>__<N>.log`, grouped by repository. */
export function loadLogchunks(dir: string): LabelledLog[] {
  return readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => {
    const name = f.slice(0, -'.log'.length);
    const project = name.split('__')[1] ?? name;
    return { name, project, path: join(dir, f), expected: expectedLines(join(dir, `${name}.expect`)) };
  });
}

/** ../shared/eval/logs: each log is its own group (they come from different tools and sites). */
export function loadEvalLogs(dir: string): LabelledLog[] {
  return readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => {
    const name = f.slice(0, -'.log'.length);
    return { name, project: name, path: join(dir, f), expected: expectedLines(join(dir, `${name}.expect`)) };
  });
}

function expectedLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map(cleanForRecall).filter((l) => l !== '');
}

export interface LogScore {
  readonly name: string;
  readonly found: number;
  readonly expected: number;
  readonly outputLines: number;
}

/** How many of the expected lines the first 60 printed lines hold. */
export function score(log: LabelledLog, printed: readonly string[]): LogScore {
  const shown = printed.slice(0, OUTPUT_LINES).map(cleanForRecall);
  const found = log.expected.filter((e) => {
    const needle = e.length > 200 ? e.slice(0, 200) : e;
    return shown.some((s) => s.includes(needle));
  }).length;
  return { name: log.name, found, expected: log.expected.length, outputLines: printed.length };
}

export interface Summary {
  readonly logs: number;
  readonly expected: number;
  readonly found: number;
  readonly recall: number;
  /** Logs where none of the expected lines was found. */
  readonly nothing: number;
  readonly meanOutputLines: number;
}

export function summarize(scores: readonly LogScore[]): Summary {
  const expected = scores.reduce((a, s) => a + s.expected, 0);
  const found = scores.reduce((a, s) => a + s.found, 0);
  return {
    logs: scores.length, expected, found, recall: expected === 0 ? 0 : found / expected,
    nothing: scores.filter((s) => s.found === 0).length,
    meanOutputLines: scores.reduce((a, s) => a + s.outputLines, 0) / Math.max(1, scores.length),
  };
}

/** The naive baseline the issue names: case-insensitive grep for error words, first 40 lines. */
export const GREP_WORDS = 'error|fail|fatal|exception|panic|timed out|timeout|abort|killed|denied|not found|cannot|unable';

export function grepBaseline(path: string): string[] {
  const r = spawnSync('grep', ['-a', '-iE', GREP_WORDS, path], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return r.stdout.split('\n').slice(0, 40);
}

export function tailBaseline(path: string): string[] {
  const r = spawnSync('tail', ['-n', '40', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
