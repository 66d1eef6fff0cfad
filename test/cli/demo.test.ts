import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { rpmToolsAvailable } from '../helpers/rpm.js';
import { tempDir } from '../helpers/paths.js';

describe('sluice demo', () => {
  it('runs phase1 for real: a pass merged, a failure with its error lines, a disabled target with its reason', (t) => {
    const dir = tempDir(t);
    const r = runBin(['demo', '--dir', dir], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^submitted\/updates\/x0rz.yml:7:9: error: builds\[1\].id: id must be an NVR/m);
    if (rpmToolsAvailable()) {
      assert.match(r.stdout, /run \S+ \(phase1 of nv4a\): FAIL - tests failed on kilo\/epel-7, kilo\/fedora-22/);
      assert.match(r.stdout, /^kilo\/epel-7: failure - installable: 1 unsatisfied dependency: nothing provides python-oslo-concurrency >= 1.8.0 needed by openstack-nova-2015.1.2-1.el7.noarch$/m);
      assert.match(r.stdout, /^ {2}\| {3}- nothing provides python-oslo-concurrency >= 1.8.0 needed by openstack-nova-2015.1.2-1.el7.noarch$/m);
    } else {
      assert.match(r.stdout, /run \S+ \(phase1 of nv4a\): FAIL - tests failed on kilo\/fedora-22/);
      assert.match(r.stdout, /the built-in checks are left out/);
    }
    assert.match(r.stdout, /^ {2}\| Error: Package: openstack-nova-api-2015.1.2-1.fc23.noarch \(sluice-update\)$/m);
    assert.match(r.stdout, /^ {2}\| {12}Requires: python-oslo-concurrency >= 1.8.0$/m);
    assert.match(r.stdout, /run \S+ \(phase1 of pk7q\): PASS/);
    assert.match(r.stdout, /liberty\/fedora-22\s+⊘ skipped\s+Fedora 22 Liberty repo not composed yet \(disabled by/);
    const log = execFileSync('git', ['-C', join(dir, 'update-repo'), 'log', '--format=%s|%an|%b'], { encoding: 'utf8' });
    assert.match(log, /^New pk7q\|Demo Packager\|Sluice-Run: r\w+/m);
    assert.doesNotMatch(log, /nv4a/, 'a failed update is not merged');
    assert.ok(existsSync(join(dir, 'update-repo', 'updates', 'pk7q.yml')));
  });
});
