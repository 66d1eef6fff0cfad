import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { excerptText } from '../../src/analysis/excerpt.js';
import { classifyInfra, type ClassifiableLine } from '../../src/analysis/infra.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';

const lines = (...texts: string[]): ClassifiableLine[] => texts.map((text, i) => ({ n: i + 1, text }));
const rule = (texts: string[]) => {
  const v = classifyInfra(lines(...texts));
  return v.infra ? v.match.rule : undefined;
};

describe('infrastructure failures', () => {
  it('recognises the default signatures, naming the rule and the line', () => {
    const v = classifyInfra(lines('PLAY [all] ****', 'ssh: connect to host 10.0.0.7 port 22: Connection refused', 'exit status 255'));
    assert.deepEqual(v, { infra: true, match: { rule: 'node-unreachable', certainty: 'certain', description: 'the node could not be reached, or the connection to it broke', line: { n: 2, text: 'ssh: connect to host 10.0.0.7 port 22: Connection refused' } } });
    assert.equal(rule(['ssh: connect to host node-3 port 22: Connection timed out']), 'node-unreachable');
    assert.equal(rule(['fatal: [subnode-2]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh"}']), 'node-unreachable');
    assert.equal(rule(['curl: (6) Could not resolve host: mirror.centos.org']), 'dns');
    assert.equal(rule(['http://mirror.centos.org/centos/7/os/x86_64/repodata/repomd.xml: [Errno 14] HTTP Error 503 - Service Unavailable']), 'mirror-unavailable');
    assert.equal(rule(['Error: Failed to download metadata for repo \'appstream\': Cannot download repomd.xml: Status code: 502 for https://mirror/x']), 'mirror-unavailable');
    assert.equal(rule(['cp: error writing \'/var/lib/mock/root/file\': No space left on device']), 'disk-full');
    assert.equal(rule(['[ 1234.5678] qemu-kvm invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0']), 'out-of-memory');
    assert.equal(rule(['fork: Cannot allocate memory']), 'cannot-allocate-memory');
    assert.equal(rule(['error: RPC failed; curl 56 Recv failure: Connection reset by peer']), 'network-broken');
  });

  it('does not call a test’s own assertion about a 503 infra, nor a failure among tests that ran', () => {
    assert.deepEqual(classifyInfra(lines('AssertionError: 503 != 200', 'E   assert resp.status == 200, "got HTTP Error 503"')), { infra: false, why: 'no infrastructure failure is recognised' });
    const ambiguous = classifyInfra(lines(
      '{0} tempest.api.image.test_images.ImagesTest.test_download [0.8s] ... FAILED',
      'tempest.lib.exceptions.ServerFault: Got server fault: HTTP Error 503 from the image service',
    ));
    assert.equal(ambiguous.infra, false);
    assert.equal(!ambiguous.infra && ambiguous.overruled?.rule, 'mirror-unavailable');
    assert.equal(!ambiguous.infra && ambiguous.why, 'tests ran and failed, so a network or mirror error may be their own doing');
    assert.equal(rule(['Error: Package: openstack-nova-api-2015.1.2-1.el7.noarch (sluice-update)', '   Requires: python-oslo-config >= 2:1.9.3']), undefined);
    assert.equal(rule(['src/main.c:12:3: error: unknown type name ‘size’', 'make: *** [Makefile:3: all] Error 1']), undefined);
  });

  it('lets a certain signature win over failed tests, and the first signature over later ones', () => {
    const v = classifyInfra(lines(
      'Could not resolve host: mirror.example.org',
      'FAIL: test_boot (tempest.scenario.TestMinimum)',
      'Connection to 10.0.0.7 closed by remote host.',
    ));
    assert.equal(v.infra && v.match.rule, 'node-unreachable');
    assert.equal(rule(['Connection reset by peer', 'Could not resolve host: a']), 'network-broken');
  });

  it('uses the excerpt’s own judgement of which lines are test failures', () => {
    const log = ['test: pkg.T.test_mirror', 'failure: pkg.T.test_mirror [ multipart', 'urllib3.exceptions.ReadTimeoutError: HTTPConnectionPool(host=mirror, port=80): Read timed out.', ']'].join('\n');
    const e = excerptText(log);
    assert.ok(e.lines.some((l) => l.matched === 'tests/subunit-failure'));
    assert.equal(classifyInfra(e.lines).infra, false);
    const infra = excerptText(['Installing packages', 'Error: Failed to download metadata for repo \'base\': Cannot download repomd.xml: Curl error (6): Couldn\'t resolve host name for http://mirror/repodata/repomd.xml [Could not resolve host: mirror]'].join('\n'));
    assert.equal(classifyInfra(infra.lines).infra, true);
  });

  it('recognises real OpenStack CI infrastructure fingerprints (elastic-recheck), and no test or config failure among them', (t) => {
    const file = sharedPath('eval', 'logs', 'elastic-recheck-signatures.md');
    if (!file) return t.skip(NO_SHARED);
    const rows = readFileSync(file, 'utf8').split('\n').filter((l) => /^\| \[\d+\]\([^)]*\) \| [a-z]/.test(l)).map((l) => {
      const cells = l.split(' | ');
      const phrases = [...l.matchAll(/message: ?"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
      return { bug: /\[(\d+)\]/.exec(l)?.[1] ?? '', kind: cells[1] ?? '', line: phrases.join(' ') };
    }).filter((r) => r.line !== '');
    const infraRows = rows.filter((r) => r.kind.startsWith('infra:'));
    const otherRows = rows.filter((r) => /^(?:test failure|service failure|config error|product bug|build failure|dependency|crash)/.test(r.kind));
    const recognised = infraRows.filter((r) => classifyInfra(lines(r.line)).infra);
    const wrong = otherRows.filter((r) => classifyInfra(lines(r.line)).infra);
    t.diagnostic(`infra fingerprints recognised: ${recognised.length} of ${infraRows.length}; missed: ${infraRows.filter((r) => !recognised.includes(r)).map((r) => r.bug).join(' ')}`);
    t.diagnostic(`other failures taken for infra: ${wrong.length} of ${otherRows.length}`);
    assert.ok(infraRows.length >= 15 && otherRows.length >= 10, 'the table was read');
    assert.ok(recognised.length / infraRows.length >= 0.5, `${recognised.length} of ${infraRows.length}`);
    assert.deepEqual(wrong.map((r) => r.bug), []);
  });
});
