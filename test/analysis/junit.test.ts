import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseJunit, TestResultsError } from '../../src/analysis/junit.js';
import { sniffKind } from '../../src/analysis/sniff.js';
import { capMessage, MAX_MESSAGE_CHARS, summarizeTests, testReport, type TestResult } from '../../src/analysis/test-result.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';

describe('JUnit XML', () => {
  it('reads the real pytest file: 5 tests, the failure with its assertion, the skip with its reason', (t) => {
    const file = sharedPath('eval', 'logs', 'pytest-junit-horovod-spark.xml');
    if (!file) return t.skip(NO_SHARED);
    const results = parseJunit(readFileSync(file, 'utf8'));
    assert.deepEqual(results.map((r) => [r.id, r.status, r.durationMs]), [
      ['test.test_spark.SparkTests.test_check_shape_compatibility', 'pass', 6435],
      ['test.test_spark.SparkTests.test_get_available_devices', 'skip', 1],
      ['test.test_spark.SparkTests.test_get_col_info', 'pass', 6417],
      ['test.test_spark.SparkTests.test_rsh_events', 'fail', 7541],
      ['test.test_spark.SparkTests.test_rsh_with_non_zero_exit_code', 'pass', 1514],
    ]);
    const expected = readFileSync(file.replace(/\.xml$/, '.expect'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.ok(results.some((r) => r.status === 'fail' && r.id === expected[0]));
    assert.match(results[3]?.message ?? '', /\nE {3}AssertionError: 143 != 0$/);
    assert.equal(results[1]?.message, 'get_available_devices only supported in Spark 3.0 and above');
    assert.equal(summarizeTests(results), '1 of 5 tests failed: test.test_spark.SparkTests.test_rsh_events');
  });

  it('reads nested suites, errors, tests without a class, and a bare <testsuite> root', () => {
    const xml = `<?xml version="1.0"?>
<!-- written by a CI tool -->
<testsuite name="outer" tests="4">
  <testsuite name="inner">
    <testcase classname="pkg.Inner" name="test_a" time="0.25"/>
    <testcase classname="pkg.Inner" name="test_b"><error type="RuntimeError">Traceback (most recent call last):
  File "x.py", line 1, in test_b
RuntimeError: node &amp; mirror gone</error></testcase>
  </testsuite>
  <testcase name="standalone" time="abc"><failure message="expected &lt;200&gt;, got 503"/></testcase>
  <testcase classname="pkg.Outer" name="test_skip"><skipped/></testcase>
</testsuite>`;
    assert.equal(sniffKind(Buffer.from(xml)), 'junit');
    assert.deepEqual(parseJunit(xml), [
      { id: 'standalone', status: 'fail', message: 'expected <200>, got 503' },
      { id: 'pkg.Outer.test_skip', status: 'skip' },
      { id: 'pkg.Inner.test_a', status: 'pass', durationMs: 250 },
      { id: 'pkg.Inner.test_b', status: 'error', message: 'Traceback (most recent call last):\n  File "x.py", line 1, in test_b\nRuntimeError: node & mirror gone' },
    ]);
  });

  it('refuses what is not JUnit, and XML that declares entities', () => {
    assert.throws(() => parseJunit('<testsuite><testcase name="x"></testsuite>'), (e: unknown) => e instanceof TestResultsError && /not well-formed XML/.test(e.message));
    assert.throws(() => parseJunit('<html><body/></html>'), /no <testsuites> or <testsuite> element/);
    const laughs = '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><testsuite><testcase name="&b;"/></testsuite>';
    assert.throws(() => parseJunit(laughs), /declares entities/);
  });
});

describe('test result reports', () => {
  const many = (failed: number, total: number): TestResult[] => Array.from({ length: total }, (_, i) => ({
    id: `tempest.api.T.test_${i}`, status: i < failed ? 'fail' : 'pass', ...(i < failed ? { message: `Traceback (most recent call last):\n  File "t.py"\n    self.fail()\nAssertionError: case ${i}` } : {}),
  }));

  it('says "3 of 1,204 tests failed: X, Y, Z"', () => {
    assert.equal(summarizeTests(many(3, 1204)), '3 of 1,204 tests failed: tempest.api.T.test_0, tempest.api.T.test_1, tempest.api.T.test_2');
    assert.equal(summarizeTests(many(12, 1204)).endsWith('tempest.api.T.test_9 and 2 more'), true);
    assert.equal(summarizeTests(many(0, 1204)), 'all 1,204 tests passed');
    assert.equal(summarizeTests([]), 'no tests ran');
  });

  it('lists each failure with the lines of its message that say most', () => {
    assert.deepEqual(testReport(many(1, 2)), [
      '1 of 2 tests failed: tempest.api.T.test_0',
      '',
      'FAIL tempest.api.T.test_0',
      '  …',
      '      self.fail()',
      '  AssertionError: case 0',
    ]);
  });

  it('keeps the end of an overlong message, where a traceback names its exception', () => {
    const capped = capMessage(`${'frame\n'.repeat(10_000)}ValueError: the cause`);
    assert.ok(capped.length <= MAX_MESSAGE_CHARS + 3);
    assert.ok(capped.endsWith('ValueError: the cause'));
  });
});
