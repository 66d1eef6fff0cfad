import type { JobSpec } from '../engine/job-spec.js';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BASELINE_CONTENT } from '../core/baseline.js';
import type { OutcomeAnalyzer } from '../engine/outcome-analyzer.js';
import type { ExecutionOutcome } from '../engine/node-provider.js';
import type { Store, TestOutcome } from '../store/index.js';
import { excerptFile, type Excerpt } from './excerpt.js';
import { referenceFromFile, type ReferenceLog } from './reference-log.js';
import { classifyInfra, type InfraRule } from './infra.js';
import { parseJunit } from './junit.js';
import type { CompiledPatterns, PatternSet } from './patterns.js';
import { sniffFile } from './sniff.js';
import { readSubunitFile } from './subunit-results.js';
import { isFailure, summarizeTests, type TestResult } from './test-result.js';

export interface JobAnalyzerOptions {
  /** Marks failed tests already known to be flaky on the target. */
  readonly store: Pick<Store, 'flakyAmong' | 'latestBaseline' | 'listJobs' | 'latestPassingJob'>;
  /**
   * Asks for a reference run of the target's baseline when none has results yet (the
   * images pipeline); answers its run id, or undefined when one is already on its way.
   */
  readonly requestBaseline?: (target: string) => Promise<string | undefined>;
  /** The kind prefix of the passing jobs a failing job is compared with (its pipeline's `referenceClass`); default its pipeline's jobs. */
  readonly referenceClass?: (spec: JobSpec) => string;
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
        const reference = await passingReference(o, attempt.spec, outcome.logPath);
        excerpt = await excerptFile(outcome.logPath, { ...(o.patterns ? { patterns: o.patterns } : {}), ...(reference ? { reference } : {}) }).catch(() => undefined);
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
        const target = attempt.spec.target;
        const flaky = await o.store.flakyAmong(target, failed.map((t) => t.id));
        const note = flaky.size > 0 ? `; known flaky: ${[...flaky].map(([id, flips]) => `${id} (${flips} flip${flips === 1 ? '' : 's'})`).join(', ')}` : '';
        if (attempt.spec.stage === 'baseline') return { outcome: { ...result, reason: `${summarizeTests(tests)}${note}` }, tests: tests.map(toOutcome) };
        result = { ...result, ...(await againstBaseline(o, target, tests, failed, note)) };
      }
      return { outcome: result, tests: tests.map(toOutcome) };
    },
  };
}

/**
 * The log a failing attempt is compared with (reference-log.ts): the latest passing job of
 * the same kind on the same target (another update's phase1 that passed, the same tests on
 * the same node setup), else the target's latest baseline job when it passed (the same
 * tests without any update). What that log also says is not this update's doing. None when
 * there is no such job or its log is gone; a reference is a help, never a reason for the
 * analysis to fail.
 */
async function passingReference(o: JobAnalyzerOptions, spec: JobSpec, logPath: string): Promise<ReferenceLog | undefined> {
  const target = spec.target;
  try {
    // The pipeline says which jobs are of the same kind (phase2's checks stage logs preparation only).
    const classPrefix = o.referenceClass?.(spec) ?? `${spec.pipeline}/`;
    const same = await o.store.latestPassingJob({ classPrefix, target });
    if (same?.logPath && same.logPath !== logPath && existsSync(same.logPath)) {
      return await referenceFromFile(same.logPath, `the passing log of job ${same.id} (run ${same.runId})`);
    }
    const baseline = await o.store.latestBaseline(target, BASELINE_CONTENT);
    if (!baseline) return undefined;
    const job = (await o.store.listJobs(baseline.runId)).find((j) => j.id === baseline.jobId);
    if (!job || job.result !== 'success' || !job.logPath || job.logPath === logPath) return undefined;
    return await referenceFromFile(job.logPath, `the passing log of baseline job ${job.id} (run ${baseline.runId})`);
  } catch (e) {
    o.log?.(`no reference log for ${target}: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * As Debian's britney blocks only regressions: a failing test that also fails on the
 * target's baseline is pre-existing, not the update's fault. When every failing test is
 * pre-existing the attempt passes, and says so; with no baseline yet, a reference run is
 * requested and the failure stands, marked as unverified against a baseline.
 */
async function againstBaseline(o: JobAnalyzerOptions, target: string, tests: readonly TestResult[], failed: readonly TestResult[], note: string): Promise<Pick<ExecutionOutcome, 'result' | 'reason'>> {
  const baseline = await o.store.latestBaseline(target, BASELINE_CONTENT);
  if (!baseline) {
    const requested = await o.requestBaseline?.(target).catch(() => undefined);
    const ask = requested ? `reference run ${requested} requested` : o.requestBaseline ? 'a reference run is on its way' : '`sluice images build` makes one';
    return { result: 'failure', reason: `${summarizeTests(tests)}${note}; no baseline results for ${target} yet to tell pre-existing failures (${ask})` };
  }
  const known = new Set(baseline.failing);
  const fresh = failed.filter((t) => !known.has(t.id));
  const preexisting = failed.filter((t) => known.has(t.id)).map((t) => t.id);
  const also = preexisting.length > 0 ? `; also failing on the baseline (run ${baseline.runId}), not counted: ${preexisting.join(', ')}` : '';
  if (fresh.length === 0) {
    return { result: 'success', reason: `passed: ${preexisting.length} failing test${preexisting.length === 1 ? '' : 's'} also fail${preexisting.length === 1 ? 's' : ''} on the baseline (run ${baseline.runId}), pre-existing: ${preexisting.join(', ')}` };
  }
  const regressions = tests.filter((t) => !known.has(t.id) || !isFailure(t));
  return { result: 'failure', reason: `${summarizeTests(regressions)}${note}${also}` };
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
