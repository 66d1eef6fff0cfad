import { DEFAULT_INFRA_RULES } from './infra-rules.js';
import type { PatternSet } from './patterns.js';

/**
 * The built-in pattern sets, one per kind of tool. They describe tools' output formats,
 * never a particular project, file or test: docs/analysis.md measures them on real logs
 * that no pattern may name.
 *
 * Severity guide: 9-10 the tool's own statement of the failure (a dependency problem, a
 * sanitizer report); 7-8 an error line in a tool's documented format; 5-6 an error of a
 * general shape (a non-zero exit, a missing file); 2-4 words that often, not always, mean
 * trouble. The excerpt shows the first and the last hit of each strong pattern, then the
 * rest by severity (excerpt-select.ts).
 */
export const DEFAULT_PATTERN_SETS: readonly PatternSet[] = [
  {
    name: 'rpm',
    description: 'rpm, yum, dnf and dnf5 dependency resolution; rpmbuild and mock',
    patterns: [
      { name: 'yum-package-error', pattern: String.raw`^Error: Package: `, severity: 9, after: 3 },
      { name: 'nothing-provides', pattern: String.raw`\bnothing provides\b`, severity: 9, before: 1 },
      { name: 'no-match', pattern: String.raw`^No match for argument`, severity: 9, before: 1 },
      { name: 'needed-by', pattern: String.raw`\bis needed by\b`, severity: 8, before: 1 },
      { name: 'failed-build-deps', pattern: String.raw`^error: Failed build dependencies`, severity: 9, after: 3 },
      { name: 'dnf-problem', pattern: String.raw`^Problem(?: \d+)?: `, severity: 8, before: 1, after: 1 },
      { name: 'resolve-failed', pattern: String.raw`^(?:Failed to resolve the transaction|Error: Unable to find a match|Depsolve Error occurred)`, severity: 8, after: 1 },
      { name: 'conflicts', pattern: String.raw`\bconflicts with (?:file from package|\S+ provided by)|\bfile \S+ conflicts between attempted installs`, severity: 8 },
      { name: 'skip-broken', pattern: String.raw`You could try using --skip-broken`, severity: 3 },
      { name: 'bad-exit-status', pattern: String.raw`^error: Bad exit status from`, severity: 8, before: 2 },
      { name: 'rpmbuild-error', pattern: String.raw`^error: `, severity: 7 },
      { name: 'mock-exception', pattern: String.raw`^EXCEPTION: \[`, severity: 7 },
      { name: 'rpm-build-errors', pattern: String.raw`^RPM build errors:`, severity: 4 },
      { name: 'download-failed', pattern: String.raw`\b(?:Couldn't|Could not|Cannot|Failed to) download\b|^curl: \(\d+\)|\bCurl error \(\d+\)`, ignoreCase: true, severity: 7 },
    ],
  },
  {
    name: 'puppet',
    description: 'puppet and packstack',
    patterns: [
      { name: 'packstack-error', pattern: String.raw`^ERROR : |Error appeared during Puppet run`, severity: 9, after: 1 },
      { name: 'packstack-step', pattern: String.raw`\[ ERROR \]`, severity: 7 },
      { name: 'puppet-error', pattern: String.raw`^(?:Error|err): (?!Package: )`, severity: 7 },
      { name: 'puppet-exec-failed', pattern: String.raw`returned \d+ instead of one of \[`, severity: 8 },
      { name: 'puppet-failed-dependency', pattern: String.raw`Skipping because of failed dependencies`, severity: 2 },
    ],
  },
  {
    name: 'python',
    description: 'Python tracebacks, and exception lines of the same shape from other languages',
    patterns: [
      { name: 'traceback', pattern: String.raw`^Traceback \(most recent call last\):`, severity: 4, before: 0 },
      {
        name: 'exception',
        // Indented too: test runners print captured tracebacks indented.
        pattern: String.raw`^\s*(?:[A-Za-z_]\w*(?:\.|::))*(?:[A-Z]\w*)?(?:Error|Exception|Failure|Invalid|Exit|Interrupt|Fault)\b(?::\s|:?$)`,
        severity: 7,
        before: 2,
      },
      { name: 'errno', pattern: String.raw`\[Errno \d+\]`, severity: 5 },
    ],
  },
  {
    name: 'tests',
    description: 'test runners: unittest, pytest, stestr/testr and tempest, subunit v1 text, minitest, TAP, harnesses reporting unexpected results',
    patterns: [
      { name: 'unittest-failure', pattern: String.raw`^(?:FAIL|ERROR): \S+ \([\w.]+\)`, severity: 8, after: 1 },
      { name: 'pytest-failed', pattern: String.raw`^(?:FAILED|ERROR) \S+::\S+|^\S+::\S+ (?:FAILED|ERROR)\b`, severity: 8 },
      { name: 'pytest-assert', pattern: String.raw`^E {2,}\S`, severity: 6 },
      // "____ test_name ____", "____ ERROR at setup of test_x ____": a pytest failure block begins.
      { name: 'pytest-header', pattern: String.raw`^_{3,} (?:(?:ERROR|FAILURE) at \w+ of )?[\w.:\[\]-]+(?:\[.*\])? _{3,}$`, severity: 7, before: 0, after: 4 },
      { name: 'python-error-at', pattern: String.raw`^\S+\.py:\d+: (?:\w+\.)*\w*(?:Error|Exception|Failure)\b`, severity: 7 },
      // A test's own result line: "tests/x.py::test_y FAILED [ 2%]", "=>some/test    FAIL".
      { name: 'result-column', pattern: String.raw`\s(?:FAIL(?:ED)?|ERROR|NOT OK)(?:\s+\[\s*\d+%\])?\s*$`, severity: 7, before: 0 },
      // The cross a reporter puts before a failed test or a compiler error (xcpretty, mocha's spec reporter).
      // A few stray characters may precede it (what is left of an `echo -e` or a terminal control).
      { name: 'failure-mark', pattern: String.raw`^\s*\S{0,3}?(?:[✗✘❌]|× )\s*\S`, severity: 7, before: 0, after: 3 },
      { name: 'scalatest-failed', pattern: String.raw`\*\*\* (?:FAILED|ABORTED) \*\*\*`, severity: 8, before: 0, after: 2 },
      { name: 'xctest-assert', pattern: String.raw`\bXCTAssert\w* failed\b|\bXCTFail\b|, failed - `, severity: 8, after: 3 },
      { name: 'go-test-fail', pattern: String.raw`^\s*--- FAIL: \S`, severity: 8, before: 0, after: 4 },
      { name: 'go-test-detail', pattern: String.raw`^\s+\S+_test\.go:\d+: `, severity: 6, before: 0 },
      { name: 'go-package-fail', pattern: String.raw`^FAIL\t\S|^--- FAIL\b`, severity: 6 },
      // ExUnit, mocha, jest, rspec number the failures they then detail: "  1) test ...".
      { name: 'numbered-failure', pattern: String.raw`^\s{0,6}\d{1,3}\) \S.{3,}`, severity: 6, before: 0, after: 4 },
      { name: 'jest-failure', pattern: String.raw`^\s*● \S`, severity: 7, before: 0, after: 4 },
      { name: 'junit-failure', pattern: String.raw`^(?:Tests run: \d+, Failures: \d+, Errors: \d+.*<<< (?:FAILURE|ERROR)!|Failed tests:|Tests in error:|\S+ > \S.* FAILED$)`, severity: 8, before: 0, after: 3 },
      { name: 'rspec-failure', pattern: String.raw`^rspec \./\S+:\d+ # |^Failures:$`, severity: 7, after: 3 },
      { name: 'cargo-test-failure', pattern: String.raw`^---- \S+ stdout ----$|^test result: FAILED\b|^thread '.*' panicked at`, severity: 8, before: 0, after: 3 },
      // GoogleTest: "[  FAILED  ] Suite.Case (3 ms)", and its assertion "parser_test.cc:42: Failure" with what it expected.
      { name: 'gtest-failed', pattern: String.raw`^\[  FAILED  \] \S`, severity: 8, before: 0 },
      { name: 'gtest-assertion', pattern: String.raw`^\S+:\d+: Failure$`, severity: 7, before: 0, after: 4 },
      { name: 'ctest-failure', pattern: String.raw`^The following tests FAILED:|^\d+% tests passed, [1-9]\d* tests? failed|\*\*\*(?:Failed|Exception)\b`, severity: 8, after: 3 },
      { name: 'xctest-failure', pattern: String.raw`: error: -\[\S+ \S+\] : |^Failing tests:$|\*\* (?:TEST|BUILD)(?: EXECUTE)? FAILED \*\*`, severity: 8, after: 2 },
      { name: 'stestr-failed', pattern: String.raw`^(?:\{\d+\} )?[\w.]+(?:\[[^\]]*\])? (?:\[[\d.]+s\] )?\.\.\. (?:FAILED|ERROR)\b`, severity: 8 },
      // A test id alone: "error: Bad exit status from ..." is rpmbuild, not subunit.
      { name: 'subunit-failure', pattern: String.raw`^(?:failure|error|uxsuccess): \S+(?: \[(?: multipart)?)?$`, severity: 8 },
      { name: 'subunit-passed', pattern: String.raw`^(?:success|successful|skip|xfail): \S`, effect: 'mute' },
      { name: 'subunit-next-test', pattern: String.raw`^test: \S`, effect: 'unmute' },
      { name: 'minitest-failure', pattern: String.raw`^(?:Error|Failure):$`, severity: 8, after: 2 },
      { name: 'tap-not-ok', pattern: String.raw`^not ok \d+`, severity: 7 },
      { name: 'unexpected-result', pattern: String.raw`\bunexpected[-_ ](?:fail(?:ure)?|timeout|error|crash|success|pass)\b`, ignoreCase: true, severity: 8 },
      {
        name: 'summary',
        pattern: String.raw`^FAILED \((?:failures|errors)=\d+|\b[1-9]\d* (?:failing|failures?)\b|^Tests: +[1-9]\d* failed|\b\d+ examples?, [1-9]\d* failures?|\b[1-9]\d* tests? completed, [1-9]\d* failed|^=+ .*\b[1-9]\d* (?:failed|errors?)\b.* =+$|\b\d+ runs?, \d+ assertions?, (?:[1-9]\d* failures?, \d+ errors?|\d+ failures?, [1-9]\d* errors?)|^\s*- Failed: [1-9]|^Failed [1-9]\d* tests? - output below|\b[1-9]\d* (?:tests? )?failed\b`,
        severity: 6,
      },
    ],
  },
  {
    name: 'build',
    description: 'compilers, linkers, make, ninja, cmake, configure, cargo, linters',
    patterns: [
      { name: 'compiler-error', pattern: String.raw`^\S+?:\d+:(?:\d+:)? (?:fatal )?error: `, severity: 8 },
      // javac through Maven: "[ERROR] /src/X.java:[3,13] cannot find symbol" (the [ERROR] is a prefix, log-prefix.ts).
      { name: 'bracket-position-error', pattern: String.raw`^\S+\.\w+:\[\d+,\d+\] \S`, severity: 8, after: 2 },
      { name: 'maven-goal-failed', pattern: String.raw`^Failed to execute goal\b|^COMPILATION ERROR\b`, severity: 7, after: 1 },
      { name: 'gradle-went-wrong', pattern: String.raw`^\* What went wrong:`, severity: 8, before: 0, after: 3 },
      { name: 'compile-failed', pattern: String.raw`^error(?:\[E\d+\])?: |^\S+\(\d+,\d+\): error \w+\d+:|^ERROR in \S|^\S+\.\w+\(\d+,\d+\): error`, severity: 8, after: 2 },
      { name: 'diff-shown', pattern: String.raw`^diff --git a/`, severity: 5, before: 0, after: 4 },
      { name: 'undefined-reference', pattern: String.raw`undefined reference to|undefined symbol\b|unresolved external symbol`, severity: 8 },
      { name: 'linker-failed', pattern: String.raw`\bld returned \d+ exit status|^collect2: error|linker command failed|^error: linking with`, severity: 8 },
      { name: 'make-error', pattern: String.raw`^g?make(?:\[\d+\])?: \*\*\* .*(?:Error \d+|Stop\.)`, severity: 6 },
      { name: 'ninja-failed', pattern: String.raw`^FAILED: \S`, severity: 7 },
      { name: 'cmake-error', pattern: String.raw`^CMake Error\b`, severity: 7, after: 2 },
      { name: 'configure-error', pattern: String.raw`^configure: error:`, severity: 8 },
      // "path/x.js:194:23: message": a compiler's or linter's finding, whatever words it uses.
      { name: 'diagnostic', pattern: String.raw`^\s*\S+\.\w{1,5}:\d+:\d+:? \S`, severity: 5, before: 2 },
      { name: 'lint-violation', pattern: String.raw`^\S+\.\w+:\d+:\d+: [A-Z]\d{3} `, severity: 6 },
      { name: 'tox-failed', pattern: String.raw`InvocationError\b|^ERROR:\s+\S+: commands failed`, severity: 7 },
    ],
  },
  {
    name: 'ansible',
    description: 'Ansible task results',
    patterns: [
      { name: 'task-failed', pattern: String.raw`^fatal: \[[^\]]+\]: (?:FAILED|UNREACHABLE)!`, severity: 8, before: 1 },
      { name: 'ignored', pattern: String.raw`^\.\.\.ignoring$`, effect: 'dismiss', before: 2 },
      { name: 'recap-failed', pattern: String.raw`\b(?:failed|unreachable)=[1-9]`, severity: 4 },
    ],
  },
  {
    name: 'sanitizers',
    description: 'AddressSanitizer and friends, valgrind, crashes',
    patterns: [
      { name: 'sanitizer-report', pattern: String.raw`==\d+==ERROR: \w*Sanitizer|\bSUMMARY: \w+Sanitizer: |^\w+Sanitizer: |\bruntime error: `, severity: 9 },
      { name: 'sanitizer-warning', pattern: String.raw`WARNING: \w*Sanitizer: `, severity: 8 },
      { name: 'valgrind', pattern: String.raw`==\d+== (?:Invalid (?:read|write|free)|Conditional jump|Mismatched free|\s*definitely lost: [1-9])`, severity: 7 },
      // Case matters: "crash" in lower case is mostly in test and file names ("map-update-crash.html").
      { name: 'crash', pattern: String.raw`\bSegmentation fault\b|\bcore dumped\b|\bSIG(?:SEGV|ABRT|BUS|ILL|FPE)\b|\bCRASH\b|\b[Cc]rashed\b|^panic: |\bpanicked at\b`, severity: 6 },
      // The first frame of a native stack trace (gdb, sanitizers, crash reporters): what
      // crashed is usually printed just above it.
      { name: 'stack-trace', pattern: String.raw`^\s*#0?[01][: ]\s*(?:0x[0-9a-f]+ in )?\S`, severity: 5, before: 2 },
      { name: 'assertion', pattern: String.raw`\bAssertion\b.*\bfailed\b|\bassertion failed\b|\bAssertion failure\b`, ignoreCase: true, severity: 7 },
    ],
  },
  {
    name: 'resources',
    description: 'timeouts, hangs, kills, memory and disk',
    patterns: [
      { name: 'no-output', pattern: String.raw`^No output has been received in the last \d+m|The job exceeded the maximum time limit|^Terminated$`, severity: 8 },
      { name: 'timed-out', pattern: String.raw`\btimed out\b|\btime ?out (?:after|expired|exceeded|reached|while)\b|\bdeadline exceeded\b|\bmax(?:imum)? run ?time exceeded\b`, ignoreCase: true, severity: 6 },
      { name: 'killed', pattern: String.raw`\bKilled\b|\bkilled by signal\b|\bout of memory\b|\boom-kill|Cannot allocate memory|^MemoryError\b`, severity: 7 },
      { name: 'no-space', pattern: String.raw`No space left on device|Disk quota exceeded`, severity: 8 },
      { name: 'hang', pattern: String.raw`\bhang(?:s|ing)?\b|\bhung\b|\bdeadlock`, ignoreCase: true, severity: 3 },
      { name: 'aborted', pattern: String.raw`\babort(?:ed|ing)\b(?! 0\b)`, ignoreCase: true, severity: 4 },
    ],
  },
  {
    name: 'infra',
    description: 'infrastructure failures, from the rules infra.ts classifies with',
    patterns: DEFAULT_INFRA_RULES.map((r) => ({ name: r.name, pattern: r.pattern, ignoreCase: r.ignoreCase ?? false, severity: r.certainty === 'certain' ? 7 : 5 })),
  },
  {
    name: 'generic',
    description: 'errors of no particular tool',
    patterns: [
      { name: 'error-line', pattern: String.raw`^(?:error|fatal(?: error)?|fatal)\b\s*(?:\[[^\]]*\])?\s*[:!]`, ignoreCase: true, severity: 6 },
      { name: 'apt-error', pattern: String.raw`^E: \S`, severity: 7 },
      { name: 'log-level-error', pattern: String.raw`(?:^|[\s\]|:\[])(?:ERROR|FATAL|CRITICAL)(?::|\]|\s+-\s)`, on: 'line', severity: 4 },
      { name: 'no-such-file', pattern: String.raw`No such file or directory`, severity: 5, before: 2 },
      { name: 'cannot', pattern: String.raw`\b(?:cannot|can't|could not|couldn't|unable to) (?:stat|open|create|access|find|remove|read|write|load|connect|resolve|execute|install)\b`, ignoreCase: true, severity: 4, before: 1 },
      { name: 'permission-denied', pattern: String.raw`Permission denied|Operation not permitted|Read-only file system`, severity: 5 },
      { name: 'command-not-found', pattern: String.raw`command not found|: not found$`, severity: 6 },
      { name: 'non-zero-exit', pattern: String.raw`\b(?:exit|return)(?:ed)?(?: with)? (?:status|code|value)(?: was)?:? *(?:[1-9]\d*|-\d+)\b|\bnon-zero (?:exit|return)`, ignoreCase: true, severity: 5 },
      { name: 'ignore-above', pattern: String.raw`\bignore the (?:error|failure)s? above\b`, ignoreCase: true, effect: 'dismiss', before: 2 },
      // Not in a file or artifact name ("error_test.go", "build-errors.txt").
      { name: 'failed-word', pattern: String.raw`(?<![\w/.-]|\b0 )(?:failed|failures?)(?![\w/-]|\.\w)`, ignoreCase: true, severity: 2 },
      { name: 'error-word', pattern: String.raw`(?<![\w/.-]|\b0 )errors?(?![\w/-]|\.\w)`, ignoreCase: true, severity: 2 },
      { name: 'exception-word', pattern: String.raw`\bexception\b`, ignoreCase: true, severity: 2 },
    ],
  },
];
