import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runBin, runCli } from '../helpers/cli.js';
import { NO_SHARED, sharedPath, tempDir } from '../helpers/paths.js';
import { STARTER_CONFIG } from '../../src/cli/init-template.js';

const GOOD = 'notes: Rebase\nbuilds:\n  - id: openstack-nova-2015.1.1-1.el7\n    source: cbs\n    repo: kilo\n    dist: el7\n  - id: openstack-nova-2015.1.1-1.fc23\n    repo: kilo\n    dist: f22\n';

describe('sluice check', () => {
  const samples = sharedPath('samples', 'rdo-update');
  const history = sharedPath('samples', 'rdo-update-history');

  it('accepts the six real files and all 149 historic versions (the real executable)', { skip: samples && history ? false : NO_SHARED }, (t) => {
    const cwd = tempDir(t);
    const files = [
      ...['updates', 'pushed', 'failed'].flatMap((d) => readdirSync(join(samples!, d)).filter((f) => f.endsWith('.yml')).map((f) => join(samples!, d, f))),
      ...readdirSync(history!).filter((f) => f.endsWith('.yml')).map((f) => join(history!, f)),
    ];
    const r = runBin(['check', ...files], { cwd });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /155 files checked, 0 invalid/);
  });

  it('prints FILE:LINE:COL per problem and exits 1 (the real executable, no stack trace)', (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'bad.yml'), 'notes: x\nbuilds:\n  - id: "$(reboot)"\n    repo: kilo\n');
    const r = runBin(['check', 'bad.yml'], { cwd });
    assert.equal(r.status, 1);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(': ')[0]), ['bad.yml:3:5', 'bad.yml:3:9']);
    assert.doesNotMatch(r.stdout + r.stderr, /at .*\.js:\d+/);
  });

  it('exits 2 on a usage error, with the documented `sluice: MESSAGE` form', async (t) => {
    const r = await runCli(['check'], { cwd: tempDir(t) });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^sluice: missing required argument 'files'\n/);
    assert.doesNotMatch(r.stderr, /^error:/m, 'commander\'s own form is not shown');
    const unknown = await runCli(['check', '--frobnicate', 'x.yml'], { cwd: tempDir(t) });
    assert.equal(unknown.status, 2);
  });

  it('reads standard input for -', async (t) => {
    const r = await runCli(['check', '-'], { cwd: tempDir(t), stdin: 'notes: x\nbuilds: []\n' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^<stdin>:2:9: error: builds: builds must list at least one build$/m);
  });

  it('refuses a file whose name cannot be an update id, as submit would', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'my update;x.yml'), GOOD);
    const r = await runCli(['check', 'my update;x.yml'], { cwd });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^my update;x\.yml:1:1: error: the file name is the update's identity: name it <id>\.yml/m);
  });

  it('reports an unreadable file as invalid and still checks the others', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'good.yml'), GOOD);
    const r = await runCli(['check', 'missing.yml', 'good.yml', '--json'], { cwd });
    assert.equal(r.status, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.valid, false);
    assert.deepEqual(report.files.map((f: { file: string; valid: boolean }) => [f.file, f.valid]), [['missing.yml', false], ['good.yml', true]]);
    assert.equal(report.files[0].problems[0].code, 'E_FILE_UNREADABLE');
    assert.equal(report.files[1].summary, 'kilo_el7_f22');
  });

  it('checks the topic against the file', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'u.yml'), GOOD);
    assert.equal((await runCli(['check', '--topic', 'kilo_f22_el7', 'u.yml'], { cwd })).status, 0);
    const wrong = await runCli(['check', '--topic', 'kilo_el7', 'u.yml'], { cwd });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stdout, /topic "kilo_el7" does not match the update: expected "kilo_el7_f22"/);
    assert.equal((await runCli(['check', '--topic', 'x', 'u.yml', 'u.yml'], { cwd })).status, 2);
  });

  it('checks targets against sluice.yaml when there is one, and warns about disabled targets', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'sluice.yaml'), STARTER_CONFIG);
    writeFileSync(join(cwd, 'u.yml'), GOOD);
    writeFileSync(join(cwd, 'old.yml'), 'notes: x\nbuilds:\n  - id: a-1-1\n    repo: juno\n    dist: el7\n  - id: a-1-1\n    repo: kilo\n    dist: el6\n    source: copr-x\n');
    const ok = await runCli(['check', 'u.yml'], { cwd });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stderr, /targets checked against sluice.yaml/);
    const bad = await runCli(['check', 'old.yml'], { cwd });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /^old.yml:4:11: error: builds\[0\].repo: unknown release "juno"/m);
    assert.match(bad.stdout, /^old.yml:8:11: error: builds\[1\].dist: unknown dist "el6"/m);

    const disabled = await runCli(['targets', 'disable', 'kilo/fedora-22', '--reason', 'f22 mirror is broken'], { cwd });
    assert.equal(disabled.status, 0, disabled.stderr);
    const warned = await runCli(['check', 'u.yml'], { cwd });
    assert.equal(warned.status, 0);
    assert.match(warned.stdout, /^u.yml:9:11: warning: builds\[1\].dist: target kilo\/fedora-22 is disabled and will be skipped: f22 mirror is broken \(disabled by tester/m);
    const without = await runCli(['check', '--no-targets', 'old.yml'], { cwd });
    assert.equal(without.status, 0);
  });

  it('reports a broken file\'s own problems and its problems against sluice.yaml in one pass', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'sluice.yaml'), STARTER_CONFIG);
    // notes empty, builds[0].id no NVR and dist el6 unknown, builds[1] of an unknown release, builds[2].arch bad.
    writeFileSync(join(cwd, 'q7zx.yml'), 'notes: ""\nbuilds:\n  - id: not an nvr\n    repo: kilo\n    dist: el6\n  - id: a-1-1.el7\n    repo: juno\n    dist: el7\n  - id: a-1-1.el7\n    repo: kilo\n    dist: el7\n    arch: sparc\n');
    const r = await runCli(['check', 'q7zx.yml'], { cwd });
    assert.equal(r.status, 1);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(': ').slice(0, 3).join(': ')), [
      'q7zx.yml:1:8: error: notes',
      'q7zx.yml:3:9: error: builds[0].id',
      'q7zx.yml:5:11: error: builds[0].dist',
      'q7zx.yml:7:11: error: builds[1].repo',
      'q7zx.yml:12:11: error: builds[2].arch',
    ]);
    assert.match(r.stdout, /^q7zx.yml:5:11: error: builds\[0\].dist: unknown dist "el6"/m);
    assert.match(r.stdout, /^q7zx.yml:7:11: error: builds\[1\].repo: unknown release "juno"/m);
    // A field the file's own rules refused is not judged again against the configuration.
    writeFileSync(join(cwd, 'k2aa.yml'), 'notes: x\nbuilds:\n  - id: a-1-1.el7\n    repo: "no good"\n    dist: el7\n');
    const once = await runCli(['check', 'k2aa.yml'], { cwd });
    assert.equal(once.stdout.trim().split('\n').length, 1, once.stdout);
    // And the file name is checked in the same pass too.
    writeFileSync(join(cwd, 'bad name.yml'), 'notes: ""\nbuilds:\n  - id: a-1-1.el7\n    repo: kilo\n    dist: el7\n');
    const named = await runCli(['check', 'bad name.yml'], { cwd });
    assert.match(named.stdout, /bad name.yml:1:1: error: the file name is the update's identity/);
    assert.match(named.stdout, /bad name.yml:1:8: error: notes/);
  });

  it('writes nothing: no store is created by checking', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'sluice.yaml'), STARTER_CONFIG);
    writeFileSync(join(cwd, 'u.yml'), GOOD);
    await runCli(['check', 'u.yml'], { cwd });
    assert.deepEqual(readdirSync(cwd).sort(), ['sluice.yaml', 'u.yml']);
  });

  it('exits 2 with positioned problems when the named config is invalid', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'c.yaml'), 'releases: [kilo]\ndists: {}\ntargets: {}\nbogus: 1\n');
    writeFileSync(join(cwd, 'u.yml'), GOOD);
    const r = await runCli(['check', '--config', 'c.yaml', 'u.yml'], { cwd });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /c.yaml:4:1: error: bogus: unknown key "bogus"/);
    assert.equal((await runCli(['check', '--config', 'nope.yaml', 'u.yml'], { cwd })).status, 2);
  });
});
