import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { excerptFile, excerptFileSync, excerptStream, excerptText, type Excerpt } from '../../src/analysis/excerpt.js';
import { DEFAULT_PATTERN_SETS } from '../../src/analysis/default-patterns.js';
import { MAX_LINE_CHARS } from '../../src/analysis/log-lines.js';
import { patternProblems, PatternSetError, compilePatternSets } from '../../src/analysis/patterns.js';
import { tempDir } from '../helpers/paths.js';

const texts = (e: Excerpt) => e.lines.map((l) => l.text);
const numbered = (e: Excerpt, text: string) => e.lines.find((l) => l.text === text)?.n;
const noise = (count: number, shape = (i: number) => `  Installing : python3-oslo-utils-${i}.0-1.el7.noarch   ${i}/${count}`) =>
  Array.from({ length: count }, (_, i) => shape(i + 1));

describe('error excerpt of realistic logs', () => {
  it('shows a packstack puppet failure, colours stripped, with the error puppet gave', () => {
    const red = (s: string) => `\x1b[0;31m${s}\x1b[0m`;
    const log = [
      ...noise(300, (i) => `Applying 10.0.0.${i % 200}_prescript.pp`),
      `Copying Puppet modules and manifests                 [ \x1b[32mDONE\x1b[0m ]`,
      'Applying 10.1.2.3_keystone.pp',
      `\r10.1.2.3_keystone.pp:                             [ ${red('ERROR')} ]`,
      `Applying Puppet manifests                         [ ${red('ERROR')} ]`,
      '',
      `${red('ERROR : Error appeared during Puppet run: 10.1.2.3_keystone.pp')}`,
      "Error: Could not prefetch keystone_role provider 'openstack': Execution of '/usr/bin/openstack role list --quiet --format csv' returned 1: Service Unavailable (HTTP 503)",
      `You will find full trace in log /var/tmp/packstack/20150601-101010-abcdef/manifests/10.1.2.3_keystone.pp.log${'\x1b[0m'}`,
      'Please check log file /var/tmp/packstack/20150601-101010-abcdef/openstack-setup.log for more information',
    ].join('\n');
    const e = excerptText(log);
    assert.ok(texts(e).includes('ERROR : Error appeared during Puppet run: 10.1.2.3_keystone.pp'), texts(e).join('\n'));
    assert.ok(texts(e).some((t) => t.startsWith("Error: Could not prefetch keystone_role provider 'openstack'")));
    assert.ok(texts(e).includes('10.1.2.3_keystone.pp:                             [ ERROR ]'), 'the carriage return and colours are gone');
    assert.equal(numbered(e, 'ERROR : Error appeared during Puppet run: 10.1.2.3_keystone.pp'), 306);
    assert.ok(e.lines.every((l) => ![...l.text].some((c) => c < ' ' && c !== '\t')), 'no control characters are left');
  });

  it('shows a yum dependency error with its Requires lines, after thousands of lines of noise', () => {
    const log = [
      ...noise(5000),
      'Running transaction check',
      'Error: Package: openstack-nova-api-2015.1.2-1.el7.noarch (sluice-update)',
      '           Requires: python-oslo-config >= 2:1.9.3',
      '           Installed: 2:python-oslo-config-1.4.0-1.el7.noarch (@openstack-juno)',
      '               python-oslo-config = 2:1.4.0-1.el7',
      ' You could try using --skip-broken to work around the problem',
      ' You could try running: rpm -Va --nofiles --nodigest',
    ].join('\n');
    const e = excerptText(log);
    assert.equal(e.totalLines, 5007);
    const error = e.lines.find((l) => l.text.startsWith('Error: Package:'));
    assert.deepEqual(error, { n: 5002, text: 'Error: Package: openstack-nova-api-2015.1.2-1.el7.noarch (sluice-update)', matched: 'rpm/yum-package-error' });
    assert.ok(texts(e).includes('           Requires: python-oslo-config >= 2:1.9.3'));
    assert.ok(e.lines.length < 15, 'a clear error is not drowned in filler');
  });

  it('shows dnf5 problems with the packages nothing provides', () => {
    const log = [
      ...noise(200, (i) => `[${i}/200] python3-six-0:1.16.0-1.fc40.noarch 100% | 1.0 MiB/s | 40.2 KiB | 00m00s`),
      'Repositories loaded.',
      'Failed to resolve the transaction:',
      'Problem 1: conflicting requests',
      '  - nothing provides python3dist(oslo-config) >= 9.4 needed by python3-nova-30.0.0-1.fc41.noarch from sluice-update',
      'Problem 2: package python3-nova-api-30.0.0-1.fc41.noarch requires python3-nova = 30.0.0-1.fc41, but none of the providers can be installed',
      '  - nothing provides python3dist(oslo-config) >= 9.4 needed by python3-nova-30.0.0-1.fc41.noarch from sluice-update',
      'You can try to add to command line:',
      '  --skip-broken to skip uninstallable packages',
    ].join('\n');
    const e = excerptText(log);
    for (const line of ['Failed to resolve the transaction:', 'Problem 1: conflicting requests', 'Problem 2: package python3-nova-api-30.0.0-1.fc41.noarch requires python3-nova = 30.0.0-1.fc41, but none of the providers can be installed']) {
      assert.ok(texts(e).includes(line), line);
    }
    assert.ok(texts(e).some((t) => t.startsWith('  - nothing provides python3dist(oslo-config) >= 9.4')));
  });

  it('shows the failed tempest tests, their assertion and the totals', () => {
    const ok = (i: number) => `{${i % 4}} tempest.api.compute.servers.test_servers.ServersTestJSON.test_case_${i} [0.${i}s] ... ok`;
    const log = [
      ...noise(1200, ok),
      '{2} tempest.api.network.test_ports.PortsTestJSON.test_create_port_in_allowed_allocation_pools [2.041s] ... FAILED',
      ...noise(300, (i) => ok(i + 2000)),
      '',
      '==============================',
      'Failed 1 tests - output below:',
      '==============================',
      '',
      'tempest.api.network.test_ports.PortsTestJSON.test_create_port_in_allowed_allocation_pools',
      '-----------------------------------------------------------------------------------------',
      '',
      'Captured traceback:',
      '~~~~~~~~~~~~~~~~~~~',
      '    Traceback (most recent call last):',
      '      File "/opt/stack/tempest/tempest/api/network/test_ports.py", line 142, in test_create_port_in_allowed_allocation_pools',
      "        self.assertEqual(201, body['status'])",
      '    testtools.matchers._impl.MismatchError: 201 != 500',
      '',
      '======',
      'Totals',
      '======',
      'Ran: 1501 tests in 2104.0000 sec.',
      ' - Passed: 1450',
      ' - Skipped: 50',
      ' - Expected Fail: 0',
      ' - Unexpected Success: 0',
      ' - Failed: 1',
    ].join('\n');
    const e = excerptText(log);
    assert.ok(texts(e).includes('{2} tempest.api.network.test_ports.PortsTestJSON.test_create_port_in_allowed_allocation_pools [2.041s] ... FAILED'));
    assert.ok(texts(e).includes('    testtools.matchers._impl.MismatchError: 201 != 500'));
    assert.ok(texts(e).includes("        self.assertEqual(201, body['status'])"), 'the failing frame comes with the exception');
    assert.ok(texts(e).includes(' - Failed: 1'));
  });

  it('shows a Python traceback’s exception and the frame that raised it, not the passing noise', () => {
    const log = [
      ...noise(400, (i) => `2015-06-01 10:00:${String(i % 60).padStart(2, '0')}.000 12345 INFO nova.compute.manager [-] Instance ${i} spawned`),
      '2015-06-01 10:07:00.001 12345 ERROR nova.compute.manager [-] Unexpected error while running command.',
      '2015-06-01 10:07:00.002 12345 ERROR nova.compute.manager Traceback (most recent call last):',
      '2015-06-01 10:07:00.002 12345 ERROR nova.compute.manager   File "/usr/lib/python2.7/site-packages/nova/compute/manager.py", line 2113, in _build_resources',
      '2015-06-01 10:07:00.002 12345 ERROR nova.compute.manager     yield resources',
      '2015-06-01 10:07:00.003 12345 ERROR nova.compute.manager   File "/usr/lib/python2.7/site-packages/nova/virt/libvirt/driver.py", line 4001, in _create_domain',
      "2015-06-01 10:07:00.003 12345 ERROR nova.compute.manager     raise exception.NovaException(msg)",
      "2015-06-01 10:07:00.003 12345 ERROR nova.compute.manager NovaException: Unable to find a free PCI device",
      ...noise(20, (i) => `2015-06-01 10:08:${String(i).padStart(2, '0')}.000 12345 INFO nova.compute.manager [-] Tick ${i}`),
    ].join('\n');
    const e = excerptText(log, { maxLines: 12 });
    assert.ok(texts(e).some((t) => t.endsWith('NovaException: Unable to find a free PCI device')), texts(e).join('\n'));
    assert.ok(texts(e).some((t) => t.endsWith('raise exception.NovaException(msg)')));
    assert.ok(e.lines.length <= 12);
  });

  it('leaves out errors Ansible was told to ignore, and a passing test’s output in a subunit v1 text stream', () => {
    const ansible = excerptText([
      'TASK [Patch the launcher] *****',
      'fatal: [localhost]: FAILED! => {"changed": true, "msg": "non-zero return code", "rc": 1}',
      '...ignoring',
      ...noise(50, (i) => `ok: [localhost] => (item=${i})`),
      'TASK [Run the tests] *****',
      'fatal: [localhost]: FAILED! => {"changed": true, "msg": "non-zero return code", "rc": 2}',
      'PLAY RECAP *****',
    ].join('\n'));
    assert.deepEqual(ansible.lines.filter((l) => l.matched === 'ansible/task-failed').map((l) => l.n), [55]);

    const subunit = excerptText([
      'test: pkg.tests.test_a.TestA.test_ok',
      'successful: pkg.tests.test_a.TestA.test_ok [ multipart',
      'Content-Type: text/plain;charset=utf8',
      'pythonlogging:\'\'',
      '2017-06-21 04:40:41,957 ERROR [pkg.cmd] Exception listing images: SHOULD_FAIL is set',
      'RuntimeError: expected by this test',
      ']',
      'test: pkg.tests.test_b.TestB.test_broken',
      'failure: pkg.tests.test_b.TestB.test_broken [ multipart',
      'Content-Type: text/x-traceback;charset=utf8,language=python',
      'traceback',
      'Traceback (most recent call last):',
      '  File "pkg/tests/test_b.py", line 10, in test_broken',
      '    self.assertTrue(False)',
      'AssertionError: False is not true',
      ']',
    ].join('\n'));
    assert.ok(!texts(subunit).some((t) => t.includes('SHOULD_FAIL') || t.includes('expected by this test')), texts(subunit).join('\n'));
    assert.ok(texts(subunit).includes('failure: pkg.tests.test_b.TestB.test_broken [ multipart'));
    assert.ok(texts(subunit).includes('AssertionError: False is not true'));
  });

  it('falls back to the log’s last lines when nothing looks like an error', () => {
    const e = excerptText(noise(100, (i) => `line ${i}`).join('\n'), { maxLines: 5 });
    assert.deepEqual(e.lines.map((l) => [l.n, l.text]), [[96, 'line 96'], [97, 'line 97'], [98, 'line 98'], [99, 'line 99'], [100, 'line 100']]);
    assert.equal(e.truncatedAt, undefined);
  });

  it('keeps to its line budget and says where the matched lines it left out start', () => {
    const log = noise(500, (i) => (i % 5 === 0 ? `src/file${i}.c:${i}:3: error: '${'x'.repeat(i % 7)}' undeclared` : `cc -c src/file${i}.c`)).join('\n');
    const e = excerptText(log, { maxLines: 10 });
    assert.equal(e.lines.length, 10);
    assert.ok(e.truncatedAt !== undefined && e.truncatedAt > 5);
    assert.equal(e.lines.find((l) => l.matched)?.n, 5, 'the first error is always shown');
  });
});

describe('reading logs', () => {
  it('handles CRLF, invalid UTF-8, a last line without newline and lines far over the cap', () => {
    const long = `error: ${'x'.repeat(MAX_LINE_CHARS * 3)}`;
    const bytes = Buffer.concat([
      Buffer.from('first\r\nsecond \xff\xfe bad bytes: error: broken\r\n', 'latin1'),
      Buffer.from(`${long}\n`),
      Buffer.from('Error: the end'),
    ]);
    const e = excerptText(new TextDecoder().decode(bytes));
    assert.equal(e.totalLines, 4);
    const clipped = e.lines.find((l) => l.n === 3);
    assert.equal(clipped?.text.length, MAX_LINE_CHARS);
    assert.equal(clipped?.clipped, long.length - MAX_LINE_CHARS);
    assert.equal(e.lines.find((l) => l.n === 2)?.text, 'second \ufffd\ufffd bad bytes: error: broken');
    assert.equal(e.lines.find((l) => l.n === 4)?.text, 'Error: the end');
  });

  it('gives the same excerpt whatever the chunking, a multi-byte character split included', async () => {
    const log = Buffer.from([...noise(50), 'Error: Package: café-1.0-1.el7 (sluice-update)', '   Requires: thé >= 2', 'done'].join('\n'));
    const whole = excerptText(log.toString('utf8'));
    const byteByByte = await excerptStream(Readable.from((function* () { for (const b of log) yield Buffer.from([b]); })()));
    assert.deepEqual(byteByByte, whole);
    assert.ok(texts(whole).includes('Error: Package: café-1.0-1.el7 (sluice-update)'));
  });

  it('reads files the same way synchronously and as a stream', async (t) => {
    const path = join(tempDir(t), 'job.log');
    writeFileSync(path, [...noise(3000), 'make: *** [Makefile:12: all] Error 2', 'exit status 2'].join('\n'));
    const streamed = await excerptFile(path);
    assert.deepEqual(excerptFileSync(path), streamed);
    assert.equal(streamed.totalLines, 3002);
    assert.ok(texts(streamed).includes('make: *** [Makefile:12: all] Error 2'));
  });

  it('streams a log of a single 64 MB line with memory bounded by the cap', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const e = await excerptStream(Readable.from((function* () { for (let i = 0; i < 64; i++) yield chunk; })()), { maxLines: 3 });
    assert.equal(e.totalLines, 1);
    assert.equal(e.lines[0]?.clipped, 64 * 1024 * 1024 - MAX_LINE_CHARS);
  });
});

describe('hits kept while streaming', () => {
  it('keeps the first and the last of a hundred thousand distinct errors, not all of them', async () => {
    const lines = function* () {
      for (let i = 1; i <= 100_000; i++) yield Buffer.from(`cc -c src/f${i}.c\nsrc/f${i}.c:${i}:1: error: unknown type name 't${i}'\n`);
    };
    const e = await excerptStream(Readable.from(lines()), { maxLines: 12 });
    assert.equal(e.totalLines, 200_000);
    const hits = e.lines.filter((l) => l.matched === 'build/compiler-error').map((l) => l.n);
    assert.equal(hits[0], 2, 'the first error');
    assert.equal(hits[hits.length - 1], 200_000, 'the last error');
    assert.ok(e.truncatedAt !== undefined);
  });
});

describe('pattern sets as plain data', () => {
  it('replaces the defaults with a configuration’s own sets', () => {
    const sets = [{ name: 'site', patterns: [{ name: 'quota', pattern: 'Quota exceeded for', severity: 9 }] }];
    const e = excerptText(['booting', 'Error: something generic', 'Quota exceeded for instances: Requested 1, but already used 10', 'bye'].join('\n'), { patterns: sets });
    assert.deepEqual(e.lines.filter((l) => l.matched).map((l) => [l.n, l.matched]), [[3, 'site/quota']]);
  });

  it('reports every problem of a bad set at once', () => {
    const problems = patternProblems([{ name: 's', patterns: [
      { name: 'broken', pattern: '(unclosed' },
      { name: 'empty', pattern: 'x*' },
      { name: 'loud', pattern: 'x', severity: 11 },
      { name: 'loud', pattern: 'y', after: -1 },
    ] }]);
    assert.deepEqual(problems.map((p) => `${p.pattern}: ${p.message.split(':')[0]}`), [
      'broken: not a regular expression',
      'empty: matches an empty line, so every line would match',
      'loud: severity must be an integer from 1 to 10',
      'loud: the name is used twice in this set',
      'loud: after must be an integer from 0 to 20',
    ]);
    assert.throws(() => compilePatternSets([{ name: 's', patterns: [{ name: 'b', pattern: '(' }] }]), PatternSetError);
  });

  it('ships default sets that compile, with unique names, none matching an empty line', () => {
    assert.deepEqual(patternProblems(DEFAULT_PATTERN_SETS), []);
    assert.ok(DEFAULT_PATTERN_SETS.length >= 8);
  });
});
