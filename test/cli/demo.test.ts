import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { rpmToolsAvailable } from '../helpers/rpm.js';
import { tempDir } from '../helpers/paths.js';

describe('sluice demo', () => {
  it('runs the ladder for real: phase1 merges passes and shows failures with their error lines and a disabled target with its reason; phase2 bisects to the culprit; promote publishes the rest', (t) => {
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
    assert.match(r.stdout, /run \S+ \(phase1 of cl2m\): PASS - passed on liberty\/epel-7; skipped liberty\/fedora-22 \(disabled\)\n(.*\n)*? {2}liberty\/fedora-22\s+⊘ skipped\s+Fedora 22 Liberty repo not composed yet \(disabled by/);
    const log = execFileSync('git', ['-C', join(dir, 'update-repo'), 'log', '--format=%s|%an|%b'], { encoding: 'utf8' });
    assert.match(log, /^New pk7q\|Demo Packager\|Sluice-Run: r\w+/m);
    assert.doesNotMatch(log, /nv4a/, 'a failed update is not merged');
    if (!rpmToolsAvailable()) {
      assert.match(r.stdout, /phase2 and promote need real RPMs/);
      assert.ok(existsSync(join(dir, 'update-repo', 'updates', 'pk7q.yml')));
      return;
    }
    // phase2 installs the three merged updates together, bisects the failure to cl2m, moves the others on.
    assert.match(r.stdout, /run \S+ \(phase2 of 3 updates\): FAIL - culprit: cl2m \(tests\); 2 of 3 updates passed/);
    assert.match(r.stdout, /^CULPRIT cl2m: failed the tests on its own$/m);
    // Not a terminal: a job's line comes when it changes and once more in the final matrix, never a block per change.
    assert.equal(r.stdout.match(/^ {2}tests r1 \[cl2m hz8d pk7q\] liberty\/epel-7 +✘ failure/gm)?.length, 2, 'the first round\'s failure is printed twice, not once per later change');
    assert.match(r.stdout, /^ {4}\| ImportError: cannot import name types$/m);
    // promote publishes the two to production, behind the per-target symlinks.
    assert.match(r.stdout, /run \S+ \(promote of 2 updates\): PASS - published hz8d, pk7q to liberty\/epel-7, liberty\/fedora-23/);
    assert.ok(existsSync(join(dir, 'published', 'liberty', 'epel-7', 'python-django-horizon-8.0.1-1.el7.noarch.rpm')));
    assert.ok(existsSync(join(dir, 'published', 'liberty', 'fedora-23', 'openstack-packstack-2015.2-0.1.dev1654.gcbbf46e.fc23.noarch.rpm')));
    assert.ok(!existsSync(join(dir, 'published', 'liberty', 'epel-7', 'python-oslo-config-2.4.0-1.el7.noarch.rpm')), 'the culprit is not published');
    assert.match(log, /^Push ready\/pk7q\|Demo Packager\|/m);
    assert.match(log, /^Move hz8d to ready\/\|Demo Packager\|/m);
    assert.ok(existsSync(join(dir, 'update-repo', 'updates', 'cl2m.yml')), 'the culprit stays in updates/');
    assert.ok(existsSync(join(dir, 'update-repo', 'pushed', 'pk7q.yml')));
  });
});
