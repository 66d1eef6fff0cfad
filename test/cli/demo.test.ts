import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runBin } from '../helpers/cli.js';
import { rpmToolsAvailable } from '../helpers/rpm.js';
import { tempDir } from '../helpers/paths.js';

describe('sluice demo', () => {
  it('runs the ladder for real: phase1 merges passes and shows failures with their error lines and a disabled target with its reason; phase2 bisects to the culprit; promote publishes the rest; it ends with the next commands, and explain tells its phase2 and promote runs', (t) => {
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
    // Not a terminal: each job's line comes once, when it ends; no running lines, no whole matrix again.
    assert.equal(r.stdout.match(/^ {2}tests r1 \[cl2m hz8d pk7q\] liberty\/epel-7 +✘ failure/gm)?.length, 1, 'the first round\'s failure is printed once');
    assert.doesNotMatch(r.stdout, /▶ running/);
    // A disabled target is skipped in each round: its reason is said once per run.
    const phase2Out = r.stdout.slice(r.stdout.indexOf('$ sluice phase2'), r.stdout.indexOf('$ sluice promote'));
    assert.equal(phase2Out.match(/Fedora 22 Liberty repo not composed yet/g)?.length, 1, phase2Out);
    assert.match(phase2Out, /^ {2}tests r2 \[cl2m hz8d\] liberty\/fedora-22 +⊘ skipped {2}\(as above\)$/m);
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

    // The echoed commands quote their arguments as a shell needs them.
    assert.match(r.stdout, /^\$ sluice targets disable liberty\/fedora-22 --reason "Fedora 22 Liberty repo not composed yet" --until 2d$/m);
    // It ends with what to do next, as commands: explain the phase2 run, read the culprit's log, serve.
    const next = r.stdout.slice(r.stdout.indexOf('Next, in a shell'));
    const phase2Run = /run (\S+) \(phase2 of 3 updates\): FAIL/.exec(r.stdout)![1]!;
    assert.match(next, new RegExp(`^ {2}cd ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(next, new RegExp(`^ {2}sluice explain ${phase2Run} `, 'm'));
    assert.match(next, new RegExp(`^ {2}sluice logs ${phase2Run}\\.t3\\.0\\.liberty_epel-7 `, 'm'));
    assert.match(next, /^ {2}sluice serve +# the dashboard and API: open http:\/\/127\.0\.0\.1:8080\//m);

    // explain on phase2: the batch, the rounds and groups and why each was tested, the verdict.
    const phase2 = runBin(['explain', phase2Run], { cwd: dir });
    assert.equal(phase2.status, 0, phase2.stderr);
    const p2 = phase2.stdout;
    assert.doesNotMatch(p2, /undefined| of update -/);
    assert.match(p2, new RegExp(`^run ${phase2Run}: phase2 of 3 updates in updates/ \\(cl2m hz8d pk7q\\) at commit [0-9a-f]{12}, created `, 'm'));
    assert.match(p2, /^ {2}inputs: cl2m \(sha256 [0-9a-f]{12}\), hz8d \(sha256 [0-9a-f]{12}\), pk7q \(sha256 [0-9a-f]{12}\)$/m);
    assert.match(p2, /^ {2}plan: 3 test rounds, 10 jobs on 3 targets /m);
    assert.match(p2, /^ {2}tests round 1, group \[cl2m hz8d pk7q\]: every update not convicted by the checks, together$/m);
    assert.match(p2, /^ {2}tests round 2, group \[cl2m hz8d\]: half of \[cl2m hz8d pk7q\], which failed in round 1 on liberty\/epel-7$/m);
    assert.match(p2, /^ {2}tests round 3, group \[hz8d\]: half of \[cl2m hz8d\], which failed in round 2 on liberty\/epel-7$/m);
    assert.match(p2, new RegExp(`^ {4}culprit cl2m: failed the tests on its own on liberty/epel-7 in round 3 \\(job ${phase2Run}\\.t3\\.0\\.liberty_epel-7\\); it stays in updates/$`, 'm'));
    assert.match(p2, /^ {4}passed, moved to ready\/: hz8d pk7q$/m);
    assert.equal(p2.match(/Fedora 22 Liberty repo not composed yet/g)?.length, 1, 'a disabled target\'s reason once');

    // explain on promote: what ready/ held, the stage tests, what was pushed and published.
    const promoteRun = /run (\S+) \(promote of 2 updates\): PASS/.exec(r.stdout)![1]!;
    const promote = runBin(['explain', promoteRun], { cwd: dir });
    assert.equal(promote.status, 0, promote.stderr);
    const pr = promote.stdout;
    assert.doesNotMatch(pr, /undefined| of update -/);
    assert.match(pr, new RegExp(`^run ${promoteRun}: promote of 2 updates in ready/ \\(hz8d pk7q\\), created `, 'm'));
    assert.match(pr, /^ {2}plan: stage composed from the tested RPMs of ready\/, then the stage tests: 2 jobs on 2 targets$/m);
    assert.match(pr, /^ {4}pushed pk7q: 2 files in production \(pushed\/pk7q.yml\)$/m);
    assert.match(pr, /^ {4}production liberty\/fedora-23 -> .*\/published\/\.trees\/liberty\/fedora-23\/000001-/m);
  });
});
