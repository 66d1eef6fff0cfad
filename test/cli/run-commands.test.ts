import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, updateText } from '../helpers/site.js';

async function siteWith(t: { after: (fn: () => void) => void }, files: Record<string, string>) {
  const site = await makeSite(tempDir(t));
  mkdirSync(join(site.dir, 'updates'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(site.dir, 'updates', name), text);
  return site;
}

describe('submit, status, logs, explain, rerun, cancel', () => {
  it('submit follows a run and exits 0 on pass, 1 on fail with the error lines, 3 when held', async (t) => {
    const site = await siteWith(t, {
      'good.yml': updateText('green', ['kilo/epel-7', 'kilo/fedora-22']),
      'bad1.yml': updateText('fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']),
      'held.yml': updateText('green', ['liberty/epel-7']),
    });
    const cwd = site.dir;
    const good = await runCli(['submit', 'updates/good.yml', '--author', 'Alan Pevec <apevec@example.org>'], { cwd });
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /run \S+ \(phase1 of good\): PASS - passed on kilo\/epel-7, kilo\/fedora-22/);
    const bad = await runCli(['submit', 'updates/bad1.yml'], { cwd });
    assert.equal(bad.status, 1);
    // good passed on kilo/fedora-22 before: its log is the reference the failure's excerpt was compared with.
    assert.match(bad.stdout, /kilo\/fedora-22: failure - the test command exited with status 1\n {2}log lines \d+-\d+ of \d+; compared with the passing log of job \S+\.kilo_fedora-22 \(run \S+\), \d+ lines? it also has left out:\n(.*\n)* {2}\| Error: Package: broken on kilo\/fedora-22/);
    await runCli(['targets', 'disable', 'liberty/epel-7', '--reason', 'repo not composed'], { cwd });
    const held = await runCli(['submit', 'updates/held.yml'], { cwd });
    assert.equal(held.status, 3);
    assert.match(held.stdout, /HELD - every target is disabled/);
    const invalid = await runCli(['submit', 'updates/nope.yml'], { cwd });
    assert.equal(invalid.status, 1);
  });

  it('a cloud provider no target uses, without its password, is left out with a note rather than stopping submit', async (t) => {
    const site = await siteWith(t, { 'good.yml': updateText('green', ['kilo/epel-7']) });
    const cloud = '  spare: { type: openstack, capacity: 2, auth_url: "https://keystone.example.org:5000/v3", username: ci, password_env: SPARE_OS_PASSWORD, project_name: ci, flavor: m1.small, network: ci-net, ssh: { user: centos, key_file: keys/none } }\n';
    writeFileSync(join(site.dir, 'sluice.yaml'), site.configText.replace(/^providers: \{ (.*) \}$/m, `providers:\n  $1\n${cloud}`));
    const r = await runCli(['submit', 'updates/good.yml'], { cwd: site.dir, env: { SPARE_OS_PASSWORD: '' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /note: provider spare is not used by any target and \$SPARE_OS_PASSWORD is not set: left out/);
    // The same with an application credential: its secret's variable is the one looked for.
    const configured = readFileSync(join(site.dir, 'sluice.yaml'), 'utf8');
    writeFileSync(join(site.dir, 'sluice.yaml'), configured.replace('username: ci, password_env: SPARE_OS_PASSWORD, project_name: ci', 'application_credential_id: abc123, application_credential_secret_env: SPARE_OS_APP_SECRET'));
    const appCredential = await runCli(['submit', 'updates/good.yml'], { cwd: site.dir, env: { SPARE_OS_PASSWORD: 'set but not asked for' } });
    assert.equal(appCredential.status, 0, appCredential.stdout + appCredential.stderr);
    assert.match(appCredential.stderr, /note: provider spare is not used by any target and \$SPARE_OS_APP_SECRET is not set: left out/);
    writeFileSync(join(site.dir, 'sluice.yaml'), configured);
    // Unused or not, a password pasted where the variable's name belongs is refused, never echoed.
    const text = readFileSync(join(site.dir, 'sluice.yaml'), 'utf8');
    writeFileSync(join(site.dir, 'sluice.yaml'), text.replace('password_env: SPARE_OS_PASSWORD', 'password_env: "hunter2!secret"'));
    const pasted = await runCli(['submit', 'updates/good.yml'], { cwd: site.dir, env: {} });
    assert.equal(pasted.status, 2, pasted.stdout + pasted.stderr);
    assert.match(pasted.stderr, /providers\.spare\.password_env: password_env must be the name of an environment variable/);
    assert.doesNotMatch(pasted.stdout + pasted.stderr, /hunter2/);
    writeFileSync(join(site.dir, 'sluice.yaml'), text);
    // Used by a target, the same missing password stops the command, naming the key.
    writeFileSync(join(site.dir, 'sluice.yaml'), readFileSync(join(site.dir, 'sluice.yaml'), 'utf8').replace('kilo/fedora-22: { repo: "https://example.org/kilo/f22/"', 'kilo/fedora-22: { provider: spare, base: CentOS-7, repo: "https://example.org/kilo/f22/"'));
    const used = await runCli(['submit', 'updates/good.yml'], { cwd: site.dir, env: { SPARE_OS_PASSWORD: '' } });
    assert.equal(used.status, 2, used.stdout + used.stderr);
    assert.match(used.stderr, /providers\.spare\.password_env: the environment variable SPARE_OS_PASSWORD that should hold the OpenStack password is not set/);
  });

  it('submit refuses an update naming an unknown target, writing nothing', async (t) => {
    const site = await siteWith(t, { 'unkn.yml': 'notes: x\nbuilds:\n  - {id: a-1-1.el6, repo: kilo, dist: el6}\n' });
    const r = await runCli(['submit', 'updates/unkn.yml'], { cwd: site.dir });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^updates\/unkn.yml:3:39: error: builds\[0\].dist: unknown dist "el6"/m);
    assert.equal((await runCli(['status'], { cwd: site.dir })).stdout, '');
  });

  it('status, logs and explain tell the story of a run; rerun repeats its plan exactly', async (t) => {
    const site = await siteWith(t, { 'bad2.yml': updateText('fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']) });
    const cwd = site.dir;
    await runCli(['submit', 'updates/bad2.yml', '--detach'], { cwd });
    const listed = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].state, 'queued', 'detached: nothing ran yet');
    const runId: string = listed[0].id;
    const rerunFirst = await runCli(['rerun', runId], { cwd });
    assert.equal(rerunFirst.status, 1);
    const runs = JSON.parse((await runCli(['status', 'bad2', '--json'], { cwd })).stdout);
    assert.equal(runs.length, 2);
    const rerunId: string = runs.find((r: { id: string }) => r.id !== runId).id;
    const explained = (await runCli(['explain', rerunId], { cwd })).stdout;
    assert.match(explained, new RegExp(`a rerun of ${runId}`));
    assert.match(explained, /kilo\/epel-7:\n {4}node: image img-kilo-el7, because booted from known-good image img-kilo-el7; provider local/);
    assert.match(explained, /attempt 1 started on worker/);
    assert.match(explained, /verdict: fail - tests failed on kilo\/fedora-22/);
    const logs = await runCli(['logs', `${rerunId}.kilo_fedora-22`], { cwd });
    assert.match(logs.stdout, /^kilo\/fedora-22: failure - the test command exited with status 1\nlog lines \d+-\d+ of \d+(; compared with [^\n]*)?:\n/);
    assert.match(logs.stdout, /\| Error: Package: broken on kilo\/fedora-22\nfull log: .*job.log\n$/);
    const status = (await runCli(['status', rerunId], { cwd })).stdout;
    assert.match(status, /kilo\/epel-7\s+✔ success/);
    assert.match(status, /kilo\/fedora-22\s+✘ failure/);
    assert.equal((await runCli(['logs', 'no-such-job'], { cwd })).status, 1);
    assert.equal((await runCli(['explain', 'no-such-run'], { cwd })).status, 1);
  });

  it('cancel ends a queued run at once and says so again without harm', async (t) => {
    const site = await siteWith(t, { 'canc.yml': updateText('green', ['kilo/epel-7']) });
    const cwd = site.dir;
    const runId = (await runCli(['submit', 'updates/canc.yml', '--detach'], { cwd })).stdout.trim();
    const c = await runCli(['cancel', runId, '--reason', 'superseded'], { cwd });
    assert.equal(c.status, 0);
    assert.match(c.stdout, /1 queued job\(s\) cancelled, 0 running job\(s\) told to stop; verdict cancelled/);
    assert.match((await runCli(['cancel', runId], { cwd })).stdout, /had finished already/);
    assert.equal((await runCli(['cancel', 'nope'], { cwd })).status, 1);
  });
});

describe('submit on a configuration this version cannot run', () => {
  it('refuses a target whose provider type is not built yet, before writing anything', async (t) => {
    const site = await siteWith(t, { 'ssh1.yml': updateText('green', ['kilo/epel-7']) });
    const config = readFileSync(join(site.dir, 'sluice.yaml'), 'utf8')
      .replace('providers: { local: { type: local, capacity: 3 } }', 'providers: { local: { type: local, capacity: 3 }, pool: { type: sim } }')
      .replace('kilo/epel-7: { repo: "https://example.org/kilo/el7/", image: img-kilo-el7 }', 'kilo/epel-7: { repo: "https://example.org/kilo/el7/", image: img-kilo-el7, provider: pool }');
    writeFileSync(join(site.dir, 'sluice.yaml'), config);
    const r = await runCli(['submit', 'updates/ssh1.yml', '--detach'], { cwd: site.dir });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /provider "pool" has type sim, which this version cannot run yet/);
    assert.equal((await runCli(['status'], { cwd: site.dir })).stdout, '', 'no run was written');
  });
});
