import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runBin, runCli } from '../helpers/cli.js';
import { NO_SHARED, sharedPath, tempDir } from '../helpers/paths.js';

const LOG = [
  ...Array.from({ length: 120 }, (_, i) => `  Installing : python3-oslo-utils-${i}.0-1.el7.noarch   ${i}/120`),
  'Error: Package: openstack-nova-api-2015.1.2-1.el7.noarch (sluice-update)',
  '           Requires: python-oslo-config >= 2:1.9.3',
  'curl: (6) Could not resolve host: mirror.example.org',
  'done',
].join('\n');

describe('sluice excerpt', () => {
  it('prints the numbered lines of a log that explain its failure, hits marked, and says when it looks like infrastructure', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'job.log'), LOG);
    const r = await runCli(['excerpt', 'job.log'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^job\.log: log lines \d+-124 of 124:\n/);
    assert.match(r.stdout, /\n121 > Error: Package: openstack-nova-api-2015\.1\.2-1\.el7\.noarch \(sluice-update\)\n122 \| {12}Requires: python-oslo-config >= 2:1\.9\.3\n/);
    assert.match(r.stdout, /\ninfrastructure failure\? a host name could not be resolved \(DNS\) \(line 123, rule dns\)\n$/);
  });

  it('prints JSON with line numbers and pattern names, within --max-lines', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'job.log'), LOG);
    const r = await runCli(['excerpt', 'job.log', '--json', '--max-lines', '3'], { cwd: dir });
    const out = JSON.parse(r.stdout);
    assert.equal(out.kind, 'log');
    assert.equal(out.totalLines, 124);
    assert.ok(out.lines.length <= 3);
    assert.deepEqual(out.lines.find((l: { n: number }) => l.n === 121), { n: 121, text: 'Error: Package: openstack-nova-api-2015.1.2-1.el7.noarch (sluice-update)', matched: 'rpm/yum-package-error' });
    assert.equal(out.infra.rule, 'dns');
  });

  it('reads a log from standard input', async (t) => {
    const r = await runCli(['excerpt', '-'], { cwd: tempDir(t), stdin: 'ok\nfatal: unable to access repository\n' });
    assert.match(r.stdout, /^-: log lines 1-2 of 2:\n1 \| ok\n2 > fatal: unable to access repository\n$/);
  });

  it('tells JUnit XML and subunit v2 by their content, whatever their names', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'results.txt'), '<?xml version="1.0"?>\n<testsuite><testcase classname="t.A" name="test_x"><failure message="boom"/></testcase><testcase classname="t.A" name="test_y"/></testsuite>\n');
    const r = await runCli(['excerpt', 'results.txt'], { cwd: dir });
    assert.equal(r.stdout, 'results.txt (JUnit XML): 1 of 2 tests failed: t.A.test_x\n\nFAIL t.A.test_x\n  boom\n');
  });

  it('prints the failed tests of real JUnit and subunit v2 files', async (t) => {
    const xml = sharedPath('eval', 'logs', 'pytest-junit-horovod-spark.xml');
    const subunit = sharedPath('eval', 'logs', 'rally-subunit-v2-unittest.subunit');
    if (!xml || !subunit) return t.skip(NO_SHARED);
    const dir = tempDir(t);
    const junit = await runCli(['excerpt', xml], { cwd: dir });
    assert.equal(junit.status, 0);
    assert.match(junit.stdout, /^\S+pytest-junit-horovod-spark\.xml \(JUnit XML\): 1 of 5 tests failed: test\.test_spark\.SparkTests\.test_rsh_events\n\nFAIL test\.test_spark\.SparkTests\.test_rsh_events \(7\.5 s\)\n/);
    assert.match(junit.stdout, /\n {2}E {3}AssertionError: 143 != 0\n$/);
    const stream = JSON.parse((await runCli(['excerpt', subunit, '--json'], { cwd: dir })).stdout);
    assert.equal(stream.kind, 'subunit');
    assert.equal(stream.summary.split(':')[0], '4 of 7 tests failed');
    assert.deepEqual(stream.counts, { pass: 2, fail: 4, error: 0, skip: 1 });
    assert.deepEqual(stream.problems, []);
    assert.ok(stream.failures.some((f: { id: string; message: string }) => f.id === 'test_foo.SimpleTestCaseWithBrokenSetup.test_something' && f.message.endsWith('RuntimeError: broken setUp method')));
  });

  it('exits 1 for a file it cannot read or a broken JUnit file, 2 for a bad --max-lines', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'broken.xml'), '<testsuites><testsuite><testcase name="x"></testsuites>');
    const missing = runBin(['excerpt', 'missing.log'], { cwd: dir });
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, 'sluice: cannot read missing.log: no such file\n');
    const broken = await runCli(['excerpt', 'broken.xml'], { cwd: dir });
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /^sluice: broken\.xml: not well-formed XML/);
    assert.equal((await runCli(['excerpt', 'broken.xml', '--max-lines', '0'], { cwd: dir })).status, 2);
  });

  it('compares with a passing log given by --baseline: what both say is left out, and the heading names it', async (t) => {
    const dir = tempDir(t);
    const noise = (run: number) => Array.from({ length: 30 }, (_, i) => `worker ${run}: ERROR fetching mirror ${['alpha', 'beta', 'gamma'][i % 3]}-${i}: timed out after ${i + run}s, retrying`);
    writeFileSync(join(dir, 'pass.log'), [...noise(1), 'all 12 checks passed', 'The command "./check.sh" exited with 0.'].join('\n'));
    writeFileSync(join(dir, 'fail.log'), [...noise(2), 'check quota: tenant limit is 0 where 10 was set', 'The command "./check.sh" exited with 1.'].join('\n'));
    const plain = await runCli(['excerpt', 'fail.log'], { cwd: dir });
    assert.match(plain.stdout, /ERROR fetching mirror/);
    const r = await runCli(['excerpt', 'fail.log', '--baseline', 'pass.log'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'fail.log: log lines 31-32 of 32; compared with pass.log, 30 lines it also has left out:\n31 | check quota: tenant limit is 0 where 10 was set\n32 | The command "./check.sh" exited with 1.\n');
    const missing = await runCli(['excerpt', 'fail.log', '--baseline', 'nope.log'], { cwd: dir });
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, 'sluice: cannot read the baseline log nope.log: no such file\n');
  });
});
