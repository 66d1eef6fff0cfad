import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { crc32 } from '../../src/analysis/crc32.js';
import { decodeSubunit, decodeSubunitStream, readNumber, type SubunitPacket } from '../../src/analysis/subunit.js';
import { parseSubunit, readSubunitFile } from '../../src/analysis/subunit-results.js';
import { summarizeTests } from '../../src/analysis/test-result.js';
import { NO_SHARED, sharedPath, tempDir } from '../helpers/paths.js';
import { requireSubunitPython } from './python-subunit.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A number as the specification encodes it: 1, 2 or 3 bytes, the size in the top two bits. */
function encodeNumber(n: number): number[] {
  if (n < 0x40) return [n];
  if (n < 0x4000) return [0x40 | (n >> 8), n & 0xff];
  return [0x80 | (n >> 16), (n >> 8) & 0xff, n & 0xff];
}

/** A packet by hand: signature, flags, its length (counting itself), the body, then its CRC-32. */
function packet(flags: number, body: number[]): Buffer {
  const fixed = 1 + 2 + body.length + 4;
  const length = encodeNumber(fixed + 1).length === 1 ? encodeNumber(fixed + 1) : encodeNumber(fixed + 2);
  const bytes = Buffer.from([0xb3, flags >> 8, flags & 0xff, ...length, ...body, 0, 0, 0, 0]);
  assert.equal(bytes.length, fixed + length.length);
  bytes.writeUInt32BE(crc32(bytes, 0, bytes.length - 4), bytes.length - 4);
  return bytes;
}
const str = (s: string) => [s.length, ...Buffer.from(s)];

describe('subunit v2 decoding, byte by byte', () => {
  it('decodes the specification’s example packet and agrees with its checksum', () => {
    // README "Example packets": enumeration of test "foo", runnable: b3 2901 0c 03666f6f 08555f1b
    const example = hex('b3 2901 0c 03666f6f 08555f1b');
    assert.equal(crc32(example, 0, 8), 0x08555f1b);
    const { packets, problems } = decodeSubunit(example);
    assert.deepEqual(problems, []);
    assert.deepEqual(packets, [{ testId: 'foo', status: 'exists', eof: false, runnable: true }]);
  });

  it('reads every field a packet may carry, in the order the specification gives', () => {
    // flags: version 2 | test id | route code | timestamp | tags | file content | MIME | EOF | status 6 (fail)
    const flags = 0x2000 | 0x0800 | 0x0400 | 0x0200 | 0x0080 | 0x0040 | 0x0020 | 0x0010 | 0x6;
    const body = [
      0x55, 0x6e, 0xb5, 0xd9, 0x40, 0x0f, // timestamp: 1433318873 s, then 15 ns as a 2-byte number (0x40 0x0f)
      ...str('t.T.test_x'),
      2, ...str('worker-0'), ...str('slow'),
      ...str('text/plain'),
      ...str('traceback'), 3, ...Buffer.from('boom'.slice(0, 3)),
      ...str('0/1'),
    ];
    const bytes = packet(flags, body);
    assert.equal(bytes.length, 5 + body.length + 4, 'over 63 bytes: a two-byte length');
    assert.deepEqual([...bytes.subarray(0, 5)], [0xb3, 0x2e, 0xf6, 0x40, bytes.length]);
    const { packets, problems } = decodeSubunit(bytes);
    assert.deepEqual(problems, []);
    const p = packets[0] as SubunitPacket;
    assert.equal(p.testId, 't.T.test_x');
    assert.equal(p.status, 'fail');
    assert.equal(p.timestamp, 1433318873 * 1000 + 15 / 1e6);
    assert.deepEqual(p.tags, ['worker-0', 'slow']);
    assert.equal(p.mimeType, 'text/plain');
    assert.equal(p.fileName, 'traceback');
    assert.equal(Buffer.from(p.fileContent ?? []).toString(), 'boo');
    assert.equal(p.routeCode, '0/1');
    assert.equal(p.eof, true);
    assert.equal(p.runnable, false);
  });

  it('reads numbers of one to four bytes, the top two bits giving the size', () => {
    assert.deepEqual(readNumber(hex('3f'), 0), [63, 1]);
    assert.deepEqual(readNumber(hex('7fff'), 0), [16383, 2]);
    assert.deepEqual(readNumber(hex('bfffff'), 0), [4194303, 3]);
    assert.deepEqual(readNumber(hex('ffffffff'), 0), [1073741823, 4]);
  });

  it('skips text around packets, reports a bad checksum and finds the next packet', () => {
    const good = hex('b3 2901 0c 03666f6f 08555f1b');
    const corrupt = Buffer.from(good);
    corrupt[5] = 0x6f ^ 0x01;
    const stream = Buffer.concat([Buffer.from('make: entering directory\n'), corrupt, Buffer.from('\n'), good]);
    const { packets, problems, skippedBytes } = decodeSubunit(stream);
    assert.equal(packets.length, 1);
    assert.equal(packets[0]?.testId, 'foo');
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^byte 25: bad checksum \(computed 0x[0-9a-f]+, stored 0x8555f1b\); skipped$/);
    assert.equal(skippedBytes, 25 + 12 + 1);
  });

  it('says so when the stream stops inside a packet, and refuses a version other than 2', () => {
    const truncated = decodeSubunit(hex('b3 2901 0c 03666f'));
    assert.deepEqual(truncated.problems, ['byte 0: the stream ends inside a packet']);
    const v1 = decodeSubunit(hex('b3 1901 0c 03666f6f 00000000'));
    assert.match(v1.problems[0] ?? '', /a packet of version 1, not 2/);
    assert.equal(v1.packets.length, 0);
  });

  it('decodes the same packets whatever the chunking of the stream', async () => {
    const bytes = Buffer.concat([hex('b3 2901 0c 03666f6f 08555f1b'), packet(0x2000 | 0x0800 | 0x0040 | 0x3, [...str('bar'), ...str('log'), 2, 0x68, 0x69])]);
    const packets: SubunitPacket[] = [];
    await decodeSubunitStream(Readable.from((function* () { for (const b of bytes) yield Buffer.from([b]); })()), (p) => packets.push(p));
    assert.deepEqual(packets, decodeSubunit(bytes).packets);
    assert.equal(packets[1]?.status, 'success');
  });
});

describe('subunit v2 results', () => {
  it('reads the real stream rally ships: 7 tests, the 3 failures with their tracebacks, the unexpected success', async (t) => {
    const file = sharedPath('eval', 'logs', 'rally-subunit-v2-unittest.subunit');
    if (!file) return t.skip(NO_SHARED);
    const { results, problems } = await readSubunitFile(file);
    assert.deepEqual(problems, []);
    const byStatus = (s: string) => results.filter((r) => r.status === s).map((r) => r.id);
    const expected = readFileSync(file.replace(/\.subunit$/, '.expect'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    for (const id of expected) assert.ok(byStatus('fail').includes(id), id);
    assert.deepEqual(byStatus('fail'), [
      'test_foo.SimpleTestCase.test_something_that_fails',
      'test_foo.SimpleTestCase.test_something_with_expected_fail',
      'test_foo.SimpleTestCaseWithBrokenCleanup.test_something',
      'test_foo.SimpleTestCaseWithBrokenSetup.test_something',
    ]);
    assert.deepEqual(byStatus('skip'), ['test_foo.SimpleTestCase.test_skip_something']);
    assert.deepEqual(byStatus('pass'), ['test_foo.SimpleTestCase.test_something_that_passes', 'test_foo.SimpleTestCase.test_something_that_takes_5_sec']);
    const message = (id: string) => results.find((r) => r.id === id)?.message ?? '';
    assert.match(message('test_foo.SimpleTestCase.test_something_that_fails'), /AssertionError: False is not True, sorry$/);
    assert.match(message('test_foo.SimpleTestCaseWithBrokenCleanup.test_something'), /RuntimeError: broken tearDown method$/);
    assert.match(message('test_foo.SimpleTestCaseWithBrokenSetup.test_something'), /RuntimeError: broken setUp method$/);
    assert.match(message('test_foo.SimpleTestCase.test_something_with_expected_fail'), /^unexpected success/);
    assert.equal(message('test_foo.SimpleTestCase.test_skip_something'), 'This should be skipped.');
    assert.ok(Math.abs((results.find((r) => r.id.endsWith('takes_5_sec'))?.durationMs ?? 0) - 5005.091) < 0.01);
    t.diagnostic(summarizeTests(results));
  });

  it('counts a test still running when the stream ends as an error', () => {
    const running = packet(0x2000 | 0x0800 | 0x2, str('t.T.test_hangs'));
    const { results } = parseSubunit(running);
    assert.deepEqual(results, [{ id: 't.T.test_hangs', status: 'error', message: 'no result: the stream ended while the test was running' }]);
  });
});

describe('subunit v2 streams written by python-subunit', () => {
  it('reads what `python3 -m subunit.run` writes for real unittest tests', (t) => {
    const python = requireSubunitPython(t);
    if (!python) return;
    const dir = tempDir(t);
    writeFileSync(join(dir, 'test_sample.py'), [
      'import unittest',
      'class Sample(unittest.TestCase):',
      '    def test_passes(self):',
      '        self.assertEqual(1, 1)',
      '    def test_fails(self):',
      '        self.assertEqual(503, 200, "mirror said 503")',
      '    def test_errors(self):',
      '        raise RuntimeError("node vanished")',
      '    @unittest.skip("not on this dist")',
      '    def test_skipped(self):',
      '        pass',
      '    @unittest.expectedFailure',
      '    def test_known_bug(self):',
      '        self.assertTrue(False)',
      '    @unittest.expectedFailure',
      '    def test_fixed_bug(self):',
      '        pass',
      '',
    ].join('\n'));
    const run = spawnSync(python, ['-m', 'subunit.run', 'test_sample'], { cwd: dir, timeout: 60_000 });
    assert.ok(run.stdout.length > 0, run.stderr.toString());
    const { results, problems } = parseSubunit(run.stdout);
    assert.deepEqual(problems, []);
    const status = Object.fromEntries(results.map((r) => [r.id.replace('test_sample.Sample.', ''), r.status]));
    assert.deepEqual(status, { test_passes: 'pass', test_fails: 'fail', test_errors: 'fail', test_skipped: 'skip', test_known_bug: 'pass', test_fixed_bug: 'fail' });
    const message = (name: string) => results.find((r) => r.id.endsWith(name))?.message ?? '';
    assert.match(message('test_fails'), /AssertionError: 503 != 200 : mirror said 503/);
    assert.match(message('test_errors'), /RuntimeError: node vanished/);
    assert.match(message('test_skipped'), /not on this dist/);
    assert.ok(results.every((r) => r.durationMs !== undefined && r.durationMs >= 0));
    t.diagnostic(summarizeTests(results));
  });

  it('decodes exactly the packets python-subunit’s own parser reads, long attachments and routing codes included', (t) => {
    const python = requireSubunitPython(t);
    if (!python) return;
    const dir = tempDir(t);
    writeFileSync(join(dir, 'write.py'), [
      'import datetime, sys, subunit.v2',
      'out = subunit.v2.StreamResultToBytes(sys.stdout.buffer)',
      'at = lambda s: datetime.datetime(2015, 6, 3, 8, 0, s, 250000, tzinfo=datetime.timezone.utc)',
      'sys.stdout.buffer.write(b"text before the stream\\n"); sys.stdout.flush()',
      'out.status(test_id="t.A.test_ok", test_status="exists")',
      'out.status(test_id="t.A.test_ok", test_status="inprogress", timestamp=at(1), route_code="0")',
      'out.status(test_id="t.A.test_ok", test_status="success", timestamp=at(2), route_code="0", test_tags={"worker-0", "slow"})',
      'out.status(test_id="t.A.test_bad", test_status="inprogress", timestamp=at(3), route_code="1")',
      // 20,000 bytes: the packet length needs three bytes; 100 bytes: two.
      'out.status(test_id="t.A.test_bad", file_name="traceback", file_bytes=("x" * 19990 + "\\nBoom: no").encode(), mime_type="text/x-traceback; charset=\\"utf8\\"", route_code="1")',
      'out.status(test_id="t.A.test_bad", file_name="stdout", file_bytes=b"y" * 100, eof=True, route_code="1")',
      'out.status(test_id="t.A.test_bad", test_status="fail", timestamp=at(4), route_code="1", runnable=False)',
      'out.status(test_id="t.A.test_skip", test_status="skip", file_name="reason", file_bytes="pas sur cette dist ✓".encode(), eof=True)',
      'out.status(test_id="t.A.test_x", test_status="xfail")',
      'out.status(test_id="t.A.test_ux", test_status="uxsuccess")',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'read.py'), [
      'import json, sys, subunit.v2, testtools',
      'class Record(testtools.StreamResult):',
      '    def __init__(self):',
      '        super().__init__(); self.events = []',
      '    def status(self, test_id=None, test_status=None, test_tags=None, runnable=True, file_name=None, file_bytes=None, eof=False, mime_type=None, route_code=None, timestamp=None):',
      '        if test_id is None and file_name == "non-subunit": return',
      '        self.events.append(dict(testId=test_id, status=test_status, tags=sorted(test_tags) if test_tags else None, runnable=runnable, fileName=file_name,',
      '            fileContent=bytes(file_bytes).decode("utf8") if file_bytes is not None else None, eof=eof, mimeType=mime_type, routeCode=route_code,',
      '            timestamp=round(timestamp.timestamp() * 1000, 3) if timestamp else None))',
      'r = Record()',
      'subunit.v2.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="non-subunit").run(r)',
      'print(json.dumps(r.events))',
      '',
    ].join('\n'));
    const written = spawnSync(python, ['write.py'], { cwd: dir, timeout: 60_000 });
    assert.equal(written.status, 0, written.stderr.toString());
    const theirs = JSON.parse(spawnSync(python, ['read.py'], { cwd: dir, input: written.stdout, timeout: 60_000 }).stdout.toString()) as Record<string, unknown>[];
    const decoded = decodeSubunit(written.stdout);
    assert.deepEqual(decoded.problems, []);
    assert.equal(decoded.skippedBytes, 'text before the stream\n'.length);
    const ours = decoded.packets.map((p) => ({
      testId: p.testId ?? null, status: p.status ?? null, tags: p.tags ? [...p.tags].sort() : null, runnable: p.runnable, fileName: p.fileName ?? null,
      fileContent: p.fileContent ? Buffer.from(p.fileContent).toString('utf8') : null, eof: p.eof, mimeType: p.mimeType ?? null, routeCode: p.routeCode ?? null,
      timestamp: p.timestamp !== undefined ? Math.round(p.timestamp * 1000) / 1000 : null,
    }));
    assert.deepEqual(ours, theirs);
    const { results } = parseSubunit(written.stdout);
    assert.deepEqual(results.map((r) => [r.id, r.status]), [['t.A.test_ok', 'pass'], ['t.A.test_bad', 'fail'], ['t.A.test_skip', 'skip'], ['t.A.test_x', 'pass'], ['t.A.test_ux', 'fail']]);
    assert.match(results[1]?.message ?? '', /Boom: no$/);
    assert.equal(results[0]?.durationMs, 1000);
    assert.equal(results[2]?.message, 'pas sur cette dist ✓');
  });
});
