import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excerptText, referenceFromText, type Excerpt } from '../../src/analysis/excerpt.js';
import { MAX_LINE_CHARS } from '../../src/analysis/log-lines.js';
import { normalizeLine } from '../../src/analysis/reference-log.js';
import { excerptHeading, renderExcerpt } from '../../src/analysis/render-excerpt.js';

/**
 * The structural rules of the excerpt, each on a small log written for it: the failed step,
 * whole tracebacks and compiler errors, test runners' failure blocks, repeats, the end of an
 * over-long line, and a passing log as reference.
 */
const texts = (e: Excerpt) => e.lines.map((l) => l.text);
const shows = (e: Excerpt, line: string) => texts(e).includes(line);
const filler = (count: number, shape: (i: number) => string) => Array.from({ length: count }, (_, i) => shape(i + 1));
/** Lines a build prints that no rule should pick: numbered, varied, error-free. */
const busy = (count: number, tag = 'build') => filler(count, (i) => `${tag}: compiling module_${i}.o from src/module_${i}.c with -O2 (${i * 7} bytes)`);

describe('the failed step', () => {
  it('shows the end of the step whose command failed, in no error words, before the findings of an earlier step that did not fail', () => {
    const log = [
      '$ ./lint.sh',
      ...filler(30, (i) => `lint: error-prone pattern in file_${i}.js (warning only)`),
      'The command "./lint.sh" exited with 0.',
      '$ ./check-generated.sh',
      ...busy(200),
      ' M inst/www/shared/app.js',
      'Please rebuild the JavaScript assets and commit the changes.',
      'The command "./check-generated.sh" exited with 1.',
      '',
      'Done. Your build exited with 1.',
    ].join('\n');
    const e = excerptText(log);
    assert.ok(shows(e, ' M inst/www/shared/app.js'), texts(e).join('\n'));
    assert.ok(shows(e, 'Please rebuild the JavaScript assets and commit the changes.'));
    assert.ok(shows(e, 'The command "./check-generated.sh" exited with 1.'));
    assert.equal(e.failedAt, 236);
    assert.ok(!texts(e).some((t) => t.startsWith('lint: ')), 'the earlier step’s words are noise');
  });

  it('reads Travis’s timer markers on the same line as the verdict, and a make chain’s first line as where it failed', () => {
    const log = [
      'travis_fold:start:install\r\x1b[0Ktravis_time:start:0a1b2c\r\x1b[0K$ make test',
      ...busy(300),
      'map.c:(.text.build_values+0xd): undefined reference to `array_add_ptr\'',
      'collect2: ld returned 1 exit status',
      'make[1]: *** [map-test] Error 1',
      'make[1]: Leaving directory `/home/ci/build/test/core\'',
      'make: *** [coverage] Error 2',
      'travis_time:end:0a1b2c:start=1497688976336733483,finish=1497688982191481985,duration=5854748502\r\x1b[0KThe command "make test" exited with 2.',
    ].join('\n');
    const e = excerptText(log);
    assert.equal(e.failedAt, 304, 'the first line of the chain');
    assert.ok(shows(e, 'map.c:(.text.build_values+0xd): undefined reference to `array_add_ptr\''));
    assert.ok(texts(e).some((t) => t.endsWith('The command "make test" exited with 2.')));
  });

  it('shows the heading of the long report the failed step ends with, not only its end', () => {
    const log = [
      '$ ./check-links.sh',
      ...busy(100, 'fetch'),
      '',
      '> Redirected links',
      ...filler(60, (i) => `  ${i}. 301 http://site${i}.example.org/docs/ → https://site${i}.example.org/docs/`),
      '',
      'The command "./check-links.sh" exited with 1.',
    ].join('\n');
    const e = excerptText(log);
    assert.ok(shows(e, '> Redirected links'), texts(e).join('\n'));
    assert.ok(shows(e, '  1. 301 http://site1.example.org/docs/ → https://site1.example.org/docs/'));
    assert.ok(shows(e, 'The command "./check-links.sh" exited with 1.'));
  });

  it('prefers the failed step’s error to a configure probe’s deliberate one in an earlier step', () => {
    const log = [
      '$ python setup.py config',
      '_configtest.c:1:10: fatal error: xlocale.h: No such file or directory',
      'failure.',
      ...busy(100, 'config'),
      '$ python runtests.py',
      ...busy(100, 'test'),
      'FAIL: test_roundtrip (numpy.tests.test_io.TestSave)',
      'AssertionError: arrays differ at index 3',
      'FAILED (failures=1)',
      'The command "python runtests.py" exited with 1.',
    ].join('\n');
    // Two lines: the failed step's failure takes them; without steps the probe's error, first in the log, would take one.
    const e = excerptText(log, { maxLines: 2 });
    assert.deepEqual(texts(e), ['FAIL: test_roundtrip (numpy.tests.test_io.TestSave)', 'AssertionError: arrays differ at index 3']);
    const flat = excerptText(log.replace(/^\$ /gm, 'running: '), { maxLines: 2 });
    assert.ok(texts(flat).some((t) => t.includes('xlocale.h')), texts(flat).join('\n'));
  });
});

describe('errors kept whole', () => {
  it('keeps a traceback whole above its exception, not only the last frame', () => {
    const frames = Array.from({ length: 5 }, (_, i) => [`  File "/srv/app/layer${i}.py", line ${i * 10}, in call_${i}`, `    return call_${i + 1}(x)`]).flat();
    const log = [...busy(200), 'Traceback (most recent call last):', ...frames, 'KeyError: \'tenant\'', ...busy(30)].join('\n');
    const e = excerptText(log);
    assert.ok(shows(e, 'Traceback (most recent call last):'), texts(e).join('\n'));
    for (const f of frames) assert.ok(shows(e, f), f);
    assert.ok(shows(e, 'KeyError: \'tenant\''));
  });

  it('keeps a compiler error with its continuation lines (javac through Maven)', () => {
    const log = [
      ...filler(200, (i) => `[INFO] Compiling module ${i} of 200`),
      '[ERROR] /home/ci/src/main/java/org/example/App.java:[3,13] cannot find symbol',
      '[ERROR]   symbol:   class Frobnicator',
      '[ERROR]   location: package org.example.util',
      '[INFO] BUILD FAILURE',
      ...filler(20, (i) => `[INFO] Total time: ${i}.0 s`),
    ].join('\n');
    const e = excerptText(log);
    for (const line of ['[ERROR] /home/ci/src/main/java/org/example/App.java:[3,13] cannot find symbol', '[ERROR]   symbol:   class Frobnicator', '[ERROR]   location: package org.example.util']) {
      assert.ok(shows(e, line), `${line}\n---\n${texts(e).join('\n')}`);
    }
  });

  it('shows the end of an over-long line, where the reason of a one-line result sits', () => {
    const reason = 'OSError: [Errno 30] Read-only file system: /srv/zuul';
    const long = `fatal: [localhost]: FAILED! => {"changed": false, "results": ${'x'.repeat(14_000)}, "msg": "${reason}"}`;
    const e = excerptText([...busy(50), long, 'PLAY RECAP ****', 'localhost : ok=3 changed=1 unreachable=0 failed=1'].join('\n'));
    const line = e.lines.find((l) => l.n === 51);
    assert.ok(line, texts(e).join('\n'));
    assert.equal(line.text.length, MAX_LINE_CHARS);
    assert.ok(line.tail?.endsWith(`"msg": "${reason}"}`), line.tail);
    assert.ok(renderExcerpt(e).some((r) => r.includes(reason) && r.includes('characters] …')));
  });

  it('collapses a repeated line, and a run of lines alike but for numbers, with a count', () => {
    const same = excerptText([...busy(100), ...filler(12, () => 'error: connection reset by peer'), 'The command "make" exited with 2.'].join('\n'));
    const shown = same.lines.filter((l) => l.text === 'error: connection reset by peer');
    assert.equal(shown.length, 1, texts(same).join('\n'));
    assert.equal(shown[0]?.repeats, 11);
    assert.ok(renderExcerpt(same).some((r) => r === '| error: connection reset by peer  [×12]'));
    const alike = excerptText([...filler(300, (i) => `  Installing : python3-lib${i}-1.0-${i}.el9.noarch   ${i}/300`), 'Error: transaction check failed'].join('\n'));
    assert.ok(alike.lines.length < 10, texts(alike).join('\n'));
    assert.ok(alike.lines.some((l) => (l.repeats ?? 0) > 0));
  });
});

describe('words and formats', () => {
  it('knows apt’s E:, Travis’s silence timeout and Maven’s [ERROR], and takes no artifact name or "0 failed" for an error', () => {
    const log = [
      ...busy(100),
      'Uploading artifacts: build/error-report.html build/errors.log test_error_handling.xml',
      'Tests run: 40, 0 failed, 0 errors',
      'E: Unable to locate package libfoo-dev',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.1:compile',
      'No output has been received in the last 10m0s, this potentially indicates a stalled build or something wrong with the build itself.',
      ...busy(20, 'after'),
    ].join('\n');
    const e = excerptText(log);
    const matched = new Map(e.lines.filter((l) => l.matched).map((l) => [l.text, l.matched]));
    assert.equal(matched.get('E: Unable to locate package libfoo-dev'), 'generic/apt-error');
    assert.equal(matched.get('No output has been received in the last 10m0s, this potentially indicates a stalled build or something wrong with the build itself.'), 'resources/no-output');
    assert.equal(matched.get('[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.1:compile'), 'build/maven-goal-failed');
    assert.ok(!matched.has('Uploading artifacts: build/error-report.html build/errors.log test_error_handling.xml'), JSON.stringify([...matched]));
    assert.ok(!matched.has('Tests run: 40, 0 failed, 0 errors'));
  });
});

describe('test runners', () => {
  // Each: lines of a runner's failure report, buried under passing output; the ones that must show.
  const cases: Record<string, { lines: string[]; must: string[] }> = {
    'pytest (block above the summary, E lines of any indent, file:line: AssertionError)': {
      lines: ['_________________________________ test_readme __________________________________', "source_root = PosixPath('/srv')", '    def test_readme(source_root):', '>       assert "x" in readme', "E       assert 'x' in 'abc'", 'tests/test_readme.py:11: AssertionError', '======= 1 failed, 1582 passed in 441.80 seconds ========'],
      must: ['_________________________________ test_readme __________________________________', "E       assert 'x' in 'abc'", 'tests/test_readme.py:11: AssertionError'],
    },
    'unittest / nose': { lines: ['FAIL: test_add (pkg.tests.TestMath)', '-'.repeat(70), 'AssertionError: 3 != 4', 'FAILED (failures=1)'], must: ['FAIL: test_add (pkg.tests.TestMath)', 'AssertionError: 3 != 4'] },
    'go test': { lines: ['=== RUN   TestSeparator', '--- FAIL: TestSeparator (0.04s)', '    repo_test.go:75: expected entry to be a link', 'FAIL', 'FAIL\tgithub.com/example/repo\t0.170s'], must: ['--- FAIL: TestSeparator (0.04s)', '    repo_test.go:75: expected entry to be a link'] },
    'JUnit via Maven surefire': { lines: ['Tests run: 4, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.1 sec <<< FAILURE!', 'testParse(org.example.ParserTest)  Time elapsed: 0.01 sec  <<< FAILURE!', 'java.lang.AssertionError: expected:<1> but was:<2>'], must: ['Tests run: 4, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.1 sec <<< FAILURE!', 'java.lang.AssertionError: expected:<1> but was:<2>'] },
    'JUnit via Gradle': { lines: ['org.example.ParserTest > parsesDates FAILED', '    java.lang.AssertionError at ParserTest.java:42', '12 tests completed, 1 failed', 'FAILURE: Build failed with an exception.', '* What went wrong:', "Execution failed for task ':test'."], must: ['org.example.ParserTest > parsesDates FAILED', "Execution failed for task ':test'."] },
    'cargo test': { lines: ['---- tests::parses stdout ----', "thread 'tests::parses' panicked at 'assertion failed: ok', src/lib.rs:10:5", 'failures:', '    tests::parses', 'test result: FAILED. 3 passed; 1 failed; 0 ignored'], must: ["thread 'tests::parses' panicked at 'assertion failed: ok', src/lib.rs:10:5", 'test result: FAILED. 3 passed; 1 failed; 0 ignored'] },
    'jest': { lines: ['  ● Parser › parses dates', '    expect(received).toBe(expected)', 'Tests:       1 failed, 41 passed, 42 total'], must: ['  ● Parser › parses dates', '    expect(received).toBe(expected)'] },
    'mocha / ExUnit (numbered failures)': { lines: ['  41 passing (2s)', '  1 failing', '', '  1) Parser', '       parses dates:', '     AssertionError: expected 1 to equal 2'], must: ['  1) Parser', '     AssertionError: expected 1 to equal 2'] },
    'rspec': { lines: ['Failures:', '  1) Parser parses dates', '     Failure/Error: expect(x).to eq(2)', '42 examples, 1 failure', 'rspec ./spec/parser_spec.rb:12 # Parser parses dates'], must: ['     Failure/Error: expect(x).to eq(2)', 'rspec ./spec/parser_spec.rb:12 # Parser parses dates'] },
    'TAP': { lines: ['ok 17 - case 16', 'not ok 18 - case 17', '#   Failed test \'case 17\''], must: ['not ok 18 - case 17'] },
    'GoogleTest': { lines: ['[ RUN      ] Parser.ParsesDates', 'parser_test.cc:42: Failure', 'Expected equality of these values:', '  parse("2019")', '    Which is: 2018', '[  FAILED  ] Parser.ParsesDates (0 ms)', '[  FAILED  ] 1 test, listed below:'], must: ['parser_test.cc:42: Failure', '    Which is: 2018', '[  FAILED  ] Parser.ParsesDates (0 ms)'] },
    'PHPUnit (the block above FAILURES!)': {
      lines: ['There was 1 failure:', '', '1) App\\Tests\\ParserTest::testParsesDates', 'Failed asserting that two strings are identical.', '/srv/app/tests/ParserTest.php:42', '', 'FAILURES!', 'Tests: 400, Assertions: 900, Failures: 1.'],
      must: ['1) App\\Tests\\ParserTest::testParsesDates', 'Failed asserting that two strings are identical.', 'Tests: 400, Assertions: 900, Failures: 1.'],
    },
    'ctest': { lines: ['95% tests passed, 1 tests failed out of 20', 'The following tests FAILED:', '\t 7 - parser_test (Failed)'], must: ['The following tests FAILED:', '\t 7 - parser_test (Failed)'] },
    'tempest / stestr': { lines: ['{1} tempest.api.network.test_ports.PortsTest.test_create_port [2.0s] ... FAILED', 'Totals', ' - Failed: 1'], must: ['{1} tempest.api.network.test_ports.PortsTest.test_create_port [2.0s] ... FAILED', ' - Failed: 1'] },
  };
  for (const [runner, c] of Object.entries(cases)) {
    it(`finds the failure report of ${runner}`, () => {
      const passing = filler(400, (i) => (i % 2 ? `tests/test_${i}.py::test_case_${i} PASSED [ ${Math.floor(i / 4)}%]` : `ok ${i} - handles error case ${i}`));
      const e = excerptText([...passing, ...c.lines, ...busy(60, 'teardown')].join('\n'));
      for (const line of c.must) assert.ok(shows(e, line), `${line}\n---\n${texts(e).join('\n')}`);
      assert.ok(!e.lines.some((l) => l.matched && (l.text.includes(' PASSED [') || l.text.includes('handles error case'))), 'a passing line is no candidate, whatever its name says');
    });
  }
});

describe('a passing log as reference', () => {
  const noise = (run: number) => [
    `worker ${4000 + run} started at 2024-05-0${run}T10:00:0${run}Z in /tmp/build-${run}abc`,
    ...filler(20, (i) => `ERROR: mirror ${i} timed out after ${i * run}s, retrying (request ${(0xabc000 + i * run).toString(16)}f1)`),
    'DeprecationWarning: error_callback is deprecated',
    ...filler(30, (i) => `check ${i}: Exception logged on purpose: ValueError: case ${i} of run ${run}`),
  ];

  it('remembers every distinct line of a large reference, and no other', () => {
    const words = (i: number) => i.toString(36).replace(/\d/g, (d) => 'QRSTUVWXYZ'[Number(d)] as string);
    const ref = referenceFromText(filler(50_000, (i) => `step ${words(i)} done`).join('\n'));
    assert.equal(ref.size, 50_000);
    assert.ok(filler(50_000, (i) => `step ${words(i)} done`).every((l) => ref.has(l)));
    assert.equal(filler(50_000, (i) => `step ${words(i)} failed`).filter((l) => ref.has(l)).length, 0);
  });

  it('masks numbers, hashes and temporary names, and nothing else', () => {
    assert.equal(normalizeLine('2024-05-01T10:00:01Z took 12.5s in /tmp/tmpab12cd/x commit 3f2a9c1d'), normalizeLine('2024-06-11T09:10:11Z took 3.25s in /tmp/tmpzz99yy/x commit 9a8b7c6d'));
    assert.notEqual(normalizeLine('check quota: limit 0'), normalizeLine('check volume: limit 0'));
    assert.notEqual(normalizeLine('The command "make" exited with 1.'), normalizeLine('The command "make" exited with 0.'), 'an exit status is no noise');
    assert.notEqual(normalizeLine('Failures: 12'), normalizeLine('Failures: 0'));
  });

  const teardown = ['cache', 'database', 'queue', 'mailbox', 'scheduler', 'index', 'spool', 'journal', 'catalog', 'broker', 'mirror', 'proxy', 'registry', 'vault', 'ledger', 'tracker', 'archive', 'session', 'lease', 'socket', 'pool', 'buffer', 'stream', 'cursor', 'handle', 'token', 'ticket', 'channel', 'bucket', 'volume']
    .map((r) => `teardown of the ${r}: Exception while closing: OSError: busy`);

  it('leaves out what the passing run also printed, says which log it compared with, and shows less', () => {
    const failing = [...noise(2), 'check quota: tenant limit is 0 where 10 was set', ...teardown, 'The command "./smoke.sh" exited with 1.'].join('\n');
    const passing = [...noise(1), ...teardown, 'The command "./smoke.sh" exited with 0.'].join('\n');
    const plain = excerptText(failing);
    const compared = excerptText(failing, { reference: referenceFromText(passing, 'passing.log') });
    assert.ok(!shows(plain, 'check quota: tenant limit is 0 where 10 was set'), 'without the reference, the noise wins');
    assert.ok(shows(compared, 'check quota: tenant limit is 0 where 10 was set'), texts(compared).join('\n'));
    assert.ok(!texts(compared).some((t) => t.startsWith('ERROR: mirror') || t.includes('on purpose') || t.startsWith('teardown')), texts(compared).join('\n'));
    assert.ok(compared.lines.length < plain.lines.length);
    assert.deepEqual(compared.reference, { label: 'passing.log', knownLines: 82 });
    assert.ok(shows(compared, 'The command "./smoke.sh" exited with 1.'));
    assert.match(excerptHeading(compared), /; compared with passing\.log, 82 lines it also has left out:$/);
  });
});
