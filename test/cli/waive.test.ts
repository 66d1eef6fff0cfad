import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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

const runsOf = async (cwd: string, update: string): Promise<{ id: string; verdict: string }[]> => JSON.parse((await runCli(['status', update, '--json'], { cwd })).stdout);

describe('waive, waivers and rerun --failed', () => {
  it('a waiver passes a failed update, merges it, and is told by explain and listed; other content is not covered', async (t) => {
    const site = await siteWith(t, { 'bad1.yml': updateText('fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']) });
    const cwd = site.dir;
    assert.equal((await runCli(['submit', 'updates/bad1.yml'], { cwd })).status, 1);
    const [run] = await runsOf(cwd, 'bad1');
    assert.ok(run);

    const refused = await runCli(['waive', 'bad1', 'kilo/epel-7', '--reason', 'nothing failed there'], { cwd });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /the job of kilo\/epel-7 in run \S+ did not fail/);
    assert.equal((await runCli(['waive', 'bad1', 'kilo/fedora-22'], { cwd })).status, 2, '--reason is required');

    const waived = await runCli(['waive', 'bad1', 'kilo/fedora-22', '--reason', 'f22 mirror broken', '--expires', '2d', '--by', 'alice'], { cwd });
    assert.equal(waived.status, 0, waived.stdout + waived.stderr);
    assert.match(waived.stdout, /^waiver (w\S+): kilo\/fedora-22 of bad1 \(content sha256 [0-9a-f]{12}\), by alice: f22 mirror broken, until /);
    assert.match(waived.stdout, new RegExp(`run ${run.id}: PASS - passed on kilo/epel-7; waived failure on kilo/fedora-22 \\(by alice: f22 mirror broken`));
    assert.match(waived.stdout, new RegExp(`run ${run.id} reported again: merged into updates/`));
    const log = execFileSync('git', ['-C', join(cwd, 'update-repo'), 'log', '-1', '--format=%B', '--', 'updates/bad1.yml'], { encoding: 'utf8' }).toString();
    assert.match(log, new RegExp(`Sluice-Run: ${run.id}`));

    const explained = (await runCli(['explain', run.id], { cwd })).stdout;
    assert.match(explained, /kilo\/fedora-22:\n(.*\n)* {4}failure waived, by alice: f22 mirror broken, until .* \(waiver w\S+\): it counts as passed/);
    assert.match(explained, /verdict given again after waiver w\S+: fail -> pass \(revision 1\), reported again/);
    const status = (await runCli(['status', run.id], { cwd })).stdout;
    assert.match(status, /kilo\/fedora-22 +✘ failure +the test command exited with status 1; WAIVED by alice/);
    const listed = (await runCli(['waivers', '--update', 'bad1'], { cwd })).stdout;
    assert.match(listed, /^w\S+ {2}bad1 kilo\/fedora-22 {2}content [0-9a-f]{12} {2}active {2}by alice .*: f22 mirror broken/);

    // The same update with other content (a fixed file that still fails) is not covered.
    writeFileSync(join(cwd, 'updates', 'bad1.yml'), updateText('fail on kilo/fedora-22 again', ['kilo/epel-7', 'kilo/fedora-22']));
    assert.equal((await runCli(['submit', 'updates/bad1.yml'], { cwd })).status, 1);

    const id = /^waiver (w\S+):/.exec(waived.stdout)?.[1] ?? '';
    const revoked = await runCli(['waive', '--revoke', id, '--reason', 'mirror fixed'], { cwd });
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match((await runCli(['waivers'], { cwd })).stdout, /revoked .* by tester: mirror fixed/);
  });

  it('rerun --failed runs only the failed target, carries the pass, and only from the latest run of the content', async (t) => {
    const site = await siteWith(t, { 'bad2.yml': updateText('fail on kilo/fedora-22', ['kilo/epel-7', 'kilo/fedora-22']) });
    const cwd = site.dir;
    assert.equal((await runCli(['submit', 'updates/bad2.yml'], { cwd })).status, 1);
    const [first] = await runsOf(cwd, 'bad2');
    assert.ok(first);
    const again = await runCli(['rerun', first.id, '--failed'], { cwd });
    assert.equal(again.status, 1, again.stdout + again.stderr);
    assert.match(again.stdout, new RegExp(`^(\\S+) \\(recheck failed of ${first.id}: kilo/fedora-22 again; kilo/epel-7 carried\\)`));
    assert.match(again.stdout, new RegExp(`kilo/epel-7 +✔ success +passed in run ${first.id}`));
    assert.match(again.stdout, /FAIL - tests failed on kilo\/fedora-22/);
    const second = /^(\S+) /.exec(again.stdout)?.[1] ?? '';
    const explained = (await runCli(['explain', second], { cwd })).stdout;
    assert.match(explained, new RegExp(`recheck failed of ${first.id}`));
    assert.match(explained, new RegExp(`not run again: its pass is carried from job ${first.id}\\.kilo_epel-7 \\(passed in run ${first.id}\\)`));

    const stale = await runCli(['rerun', first.id, '--failed'], { cwd });
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, new RegExp(`run ${first.id} is not the latest phase1 run of this content of bad2: run ${second} is`));
  });
});
