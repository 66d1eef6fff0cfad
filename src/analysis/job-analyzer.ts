import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutcomeAnalyzer } from '../engine/outcome-analyzer.js';
import type { ExecutionOutcome } from '../engine/node-provider.js';
import type { Store, TestOutcome } from '../store/index.js';
import { excerptFile, type Excerpt } from './excerpt.js';
import { classifyInfra, type InfraRule } from './infra.js';
import { parseJunit } from './junit.js';
import type { CompiledPatterns, PatternSet } from './patterns.js';
import { sniffFile } from './sniff.js';
import { readSubunitFile } from './subunit-results.js';
import { isFailure, summarizeTests, type TestResult } from './test-result.js';

export interface JobAnalyzerOptions {
  /** Marks failed tests already known to be flaky on the target. */
  readonly store: Pick<Store, 'flakyAmong'>;
  readonly patterns?: readonly PatternSet[] | CompiledPatterns;
  readonly infraRules?: readonly InfraRule[];
  readonly log?: (line: string) => void;
}

/** A results directory is the job's: more than this many files is not a test report. */
const MAX_RESULT_FILES = 200;

/**
 * The engine's analysis of each attempt (docs/analysis.md): one streaming pass over the
 * log gives the excerpt stored with the job; an infrastructure signature in it (a dead
 * node, a full disk, a mirror's 503 when no test failed) turns a failure into `infra`, so
 * it is retried and never blamed; JUnit and subunit files in $SLUICE_RESULTS_DIR become
 * per-test results, and a failure's reason names the failed tests, known flaky ones marked.
 */
export function jobAnalyzer(o: JobAnalyzerOptions): OutcomeAnalyzer {
  return {
    async analyze(attempt, outcome) {
      const tests = outcome.resultsDir ? await readResults(outcome.resultsDir, o.log) : [];
      let excerpt: Excerpt | undefined;
      if (outcome.logPath && outcome.result === 'failure') {
        excerpt = await excerptFile(outcome.logPath, o.patterns ? { patterns: o.patterns } : {}).catch(() => undefined);
      }
      let result: ExecutionOutcome = excerpt ? { ...outcome, excerpt } : outcome;
      if (excerpt && outcome.result === 'failure') {
        const verdict = classifyInfra(testFailureLines(excerpt, tests), o.infraRules);
        if (verdict.infra) {
          return { outcome: { ...result, result: 'infra', reason: `infrastructure: ${verdict.match.description} (log line ${verdict.match.line.n}); retried on a fresh node, not blamed on the update` }, tests: tests.map(toOutcome) };
        }
      }
      const failed = tests.filter(isFailure);
      if (outcome.result === 'failure' && failed.length > 0) {
        const flaky = await o.store.flakyAmong(attempt.spec.target, failed.map((t) => t.id));
        const note = flaky.size > 0 ? `; known flaky: ${[...flaky].map(([id, flips]) => `${id} (${flips} flip${flips === 1 ? '' : 's'})`).join(', ')}` : '';
        result = { ...result, reason: `${summarizeTests(tests)}${note}` };
      }
      return { outcome: result, tests: tests.map(toOutcome) };
    },
  };
}

/** The excerpt's lines, with a failed test's own verdict marked so an infra rule does not take it as evidence. */
function testFailureLines(excerpt: Excerpt, tests: readonly TestResult[]): Excerpt['lines'] {
  if (!tests.some(isFailure)) return excerpt.lines;
  // A failed test in the results counts as a test failure even where the log did not say so.
  return [...excerpt.lines, { n: excerpt.totalLines, text: 'FAILED (from the test results)', matched: 'tests/result' }];
}

function toOutcome(t: TestResult): TestOutcome {
  return { testId: t.id, status: t.status, message: t.message ?? null, durationMs: t.durationMs ?? null };
}

async function readResults(dir: string, log?: (line: string) => void): Promise<TestResult[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort().slice(0, MAX_RESULT_FILES);
  } catch {
    return [];
  }
  const out: TestResult[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      if (!(await stat(path)).isFile()) continue;
      const kind = sniffFile(path);
      if (kind === 'junit') out.push(...parseJunit(await readFile(path, 'utf8')));
      else if (kind === 'subunit') out.push(...(await readSubunitFile(path)).results);
    } catch (e) {
      // A broken report is the test command's problem to fix, not a reason to lose the job's result.
      log?.(`cannot read test results ${path}: ${(e as Error).message}`);
    }
  }
  return out;
}
