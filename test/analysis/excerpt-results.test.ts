import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excerptText, type Excerpt } from '../../src/analysis/excerpt.js';

/**
 * Rules about test results and what surrounds them, each on a small log written for it:
 * passing results are never candidates nor filler, a failure mark after stray characters,
 * a failing test's own output above its result, and the detail a line ending in a colon
 * announces.
 */
const texts = (e: Excerpt) => e.lines.map((l) => l.text);
const shows = (e: Excerpt, line: string) => texts(e).includes(line);
const filler = (count: number, shape: (i: number) => string) => Array.from({ length: count }, (_, i) => shape(i + 1));
const busy = (count: number, tag = 'build') => filler(count, (i) => `${tag}: compiling module_${i}.o from src/module_${i}.c with -O2 (${i * 7} bytes)`);

describe('passing results', () => {
  it('takes no aligned "name:   OK" result for a candidate, whatever the test’s name says', () => {
    const pad = (name: string, result: string) => `      ${name}:${' '.repeat(60 - name.length)}${result}`;
    const log = [
      '$ cabal test',
      ...filler(80, (i) => pad(`'case${i}.purs' should compile and run without error`, i % 3 ? 'OK' : 'OK (0.12s)')),
      pad('parses a record', 'FAIL'),
      '        expected: Right 1',
      '         but got: Left "unexpected end of input"',
      ...filler(40, (i) => pad(`'more${i}.purs' should fail with an error`, 'OK')),
      '1 out of 121 tests failed (3.20s)',
      'The command "cabal test" exited with 1.',
    ].join('\n');
    const e = excerptText(log);
    assert.ok(shows(e, pad('parses a record', 'FAIL')), texts(e).join('\n'));
    assert.ok(shows(e, '         but got: Left "unexpected end of input"'));
    assert.ok(!texts(e).some((t) => t.trimEnd().endsWith('OK') || t.includes('OK (')), texts(e).join('\n'));
  });

  it('fills no budget with passing results at the end of the failed step', () => {
    const log = [
      '$ xcodebuild test | xcpretty',
      ...busy(50),
      'Simulator: device booted, session log written to /tmp/session-1',
      '    ✗ testUploadsInBackground, Test crashed',
      ...filler(120, (i) => `    ✓ testCase${i} (0.0${i % 10} seconds)`),
      '** TEST FAILED **',
      'The command "xcodebuild test | xcpretty" exited with 65.',
    ].join('\n');
    const e = excerptText(log);
    assert.ok(!texts(e).some((t) => t.includes('✓')), texts(e).join('\n'));
    assert.ok(shows(e, '    ✗ testUploadsInBackground, Test crashed'));
  });
});

describe('failed tests', () => {
  it('knows a failure mark after a few stray characters', () => {
    const mark = 'nl❌  /src/Tests/ActionSpec.swift:47:19: \'value\' is inaccessible due to \'internal\' protection level';
    const e = excerptText([...busy(200), mark, ...filler(10, () => 'nl'), ...busy(100, 'link'), '** TEST BUILD FAILED **'].join('\n'));
    const line = e.lines.find((l) => l.text === mark);
    assert.equal(line?.matched, 'tests/failure-mark', texts(e).join('\n'));
  });

  it('shows what a failing test printed between the previous result and its own', () => {
    const log = [
      ...busy(100),
      ...filler(30, (i) => `    ✓ testRequest${i} (0.1 seconds)`),
      'Writing diagnostic log for test session to:',
      '/var/logs/Test/Session-1/Diagnostics/run.log',
      'SimDevice: Phone 8 (2D144036, OS 12.2, Booted)',
      '    ✗ testCancelledRequest, Test crashed',
      ...filler(30, (i) => `    ✓ testUpload${i} (0.1 seconds)`),
      ...busy(40, 'archive'),
    ].join('\n');
    const e = excerptText(log);
    for (const l of ['Writing diagnostic log for test session to:', '/var/logs/Test/Session-1/Diagnostics/run.log', 'SimDevice: Phone 8 (2D144036, OS 12.2, Booted)', '    ✗ testCancelledRequest, Test crashed']) {
      assert.ok(shows(e, l), `${l}\n---\n${texts(e).join('\n')}`);
    }
  });

  it('keeps a hit that ends with a colon with the lines it announces, whatever their indent', () => {
    const log = [
      ...busy(150),
      '      :print:                                Error found:',
      'in module Main',
      'at src/Main.purs:3:1 - 3:9',
      '',
      '  Could not match type',
      '    String',
      ...busy(150, 'next'),
      '1 out of 300 tests failed',
    ].join('\n');
    const e = excerptText(log);
    for (const l of ['      :print:                                Error found:', 'in module Main', 'at src/Main.purs:3:1 - 3:9', '  Could not match type', '    String']) {
      assert.ok(shows(e, l), `${l}\n---\n${texts(e).join('\n')}`);
    }
  });
});

describe('near a strong hit', () => {
  it('shows the lines next to a strong hit before faint words elsewhere', () => {
    const log = [
      ...filler(60, (i) => `note ${i}: comment mentions an error in passing (${i})`),
      ...busy(30),
      'Running the checks of package demo',
      'ERROR: the check of the examples failed',
      'Last lines of output: expected 3 names, got 2',
      ...busy(100, 'cleanup'),
    ].join('\n');
    const e = excerptText(log, { maxLines: 20 });
    assert.ok(shows(e, 'Running the checks of package demo'), texts(e).join('\n'));
    assert.ok(shows(e, 'Last lines of output: expected 3 names, got 2'), texts(e).join('\n'));
  });
});
