import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { addUpdate, makePhase2Site } from '../helpers/phase2-site.js';
import { requireRpmTools } from '../helpers/rpm.js';

test('sluice phase2 with nothing in updates/ says so and starts nothing', async (t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  const r = await runCli(['phase2'], { cwd: site.dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^nothing to test: updates\/ is empty/);
  const status = await runCli(['status'], { cwd: site.dir });
  assert.doesNotMatch(status.stdout, /phase2/);
});

test('sluice phase2 names the culprit with its error lines, joins a phase2 already going, and exits 1', async (t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  await addUpdate(site, 'good');
  await addUpdate(site, 'evil', { notes: '<script>alert(1)</script> breaks phase2' });
  const detached = await runCli(['phase2', '--detach'], { cwd: site.dir });
  assert.equal(detached.status, 0, detached.stderr);
  const runId = detached.stdout.trim();
  // A second trigger while it is queued: it follows the same run rather than starting one.
  const r = await runCli(['phase2'], { cwd: site.dir });
  assert.match(r.stderr, new RegExp(`phase2 ${runId} is still going: following it`));
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`run ${runId} \\(phase2 of 2 updates\\): FAIL - culprit: evil \\(tests\\); 1 of 2 updates passed`));
  assert.match(r.stdout, /passed \(moved to ready\/\): good/);
  assert.match(r.stdout, /CULPRIT evil: failed the tests on its own/);
  assert.match(r.stdout, /\| Error: Execution of '\/usr\/bin\/packstack --allinone' returned 1: evil broke the installer/);
  assert.match(execFileSync('git', ['-C', site.repoPath, 'log', '-1', '--format=%s'], { encoding: 'utf8' }), /^Move good to ready\//);
  const status = await runCli(['status', runId], { cwd: site.dir });
  assert.match(status.stdout, /CULPRIT evil/);
});
