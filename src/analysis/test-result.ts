/**
 * One test's outcome, whatever format reported it (JUnit XML, subunit v2), and the sentence
 * a report opens with: "3 of 1,204 tests failed: X, Y, Z".
 */
export type TestStatus = 'pass' | 'fail' | 'skip' | 'error';

export interface TestResult {
  readonly id: string;
  readonly status: TestStatus;
  readonly durationMs?: number;
  /** Why it failed, errored or was skipped: the assertion, the traceback, the skip reason. */
  readonly message?: string;
}

/** Longest message kept per test: a traceback fits, a 50 MB captured stdout does not. */
export const MAX_MESSAGE_CHARS = 8192;
/** Failed tests named in the headline before "and N more". */
const NAMED_IN_SUMMARY = 10;

export function isFailure(r: TestResult): boolean {
  return r.status === 'fail' || r.status === 'error';
}

export function countByStatus(results: readonly TestResult[]): Record<TestStatus, number> {
  const counts: Record<TestStatus, number> = { pass: 0, fail: 0, error: 0, skip: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** "3 of 1,204 tests failed: X, Y, Z" or "all 1,204 tests passed (12 skipped)". */
export function summarizeTests(results: readonly TestResult[]): string {
  const total = results.length.toLocaleString('en-US');
  const failed = results.filter(isFailure);
  const skipped = results.filter((r) => r.status === 'skip').length;
  const skippedNote = skipped > 0 ? ` (${skipped.toLocaleString('en-US')} skipped)` : '';
  if (results.length === 0) return 'no tests ran';
  if (failed.length === 0) return `${results.length === 1 ? 'the only test' : `all ${total} tests`} passed${skippedNote}`;
  const named = failed.slice(0, NAMED_IN_SUMMARY).map((r) => r.id);
  const more = failed.length > named.length ? ` and ${(failed.length - named.length).toLocaleString('en-US')} more` : '';
  return `${failed.length.toLocaleString('en-US')} of ${total} test${results.length === 1 ? '' : 's'} failed: ${named.join(', ')}${more}`;
}

/**
 * The headline, then each failure with the lines of its message that say most: the first
 * (an assertion's own message) and the last (where a traceback names the exception).
 */
export function testReport(results: readonly TestResult[]): string[] {
  const out = [summarizeTests(results)];
  for (const r of results.filter(isFailure)) {
    out.push('', `${r.status === 'error' ? 'ERROR' : 'FAIL'} ${r.id}${r.durationMs !== undefined ? ` (${formatDuration(r.durationMs)})` : ''}`);
    for (const line of keyLines(r.message ?? '')) out.push(`  ${line}`);
  }
  return out;
}

function keyLines(message: string): string[] {
  const lines = message.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  if (lines.length <= 3) return lines;
  // A traceback's head says nothing; its last two lines say what raised and what was raised.
  if (/^\s*Traceback \(most recent call last\):/.test(lines[0] as string)) return ['…', ...lines.slice(-2)];
  return [lines[0] as string, '…', lines[lines.length - 1] as string];
}

function formatDuration(ms: number): string {
  if (ms < 1) return '<1 ms';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A message within MAX_MESSAGE_CHARS, keeping mostly its end: a traceback names the exception last. */
export function capMessage(text: string): string {
  if (text.length <= MAX_MESSAGE_CHARS) return text;
  const head = MAX_MESSAGE_CHARS / 4;
  return `${text.slice(0, head)}\n…\n${text.slice(text.length - (MAX_MESSAGE_CHARS - head))}`;
}
