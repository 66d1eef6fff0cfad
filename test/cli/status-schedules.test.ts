import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, updateText } from '../helpers/site.js';

const NOW = Date.parse('2026-11-29T11:47:40Z');

async function scheduledSite(t: { after: (fn: () => void) => void }): Promise<string> {
  const site = await makeSite(tempDir(t));
  writeFileSync(join(site.dir, 'sluice.yaml'), `${site.configText}schedules:\n  images: "0 1 * * 0"\n  phase2: "0 3 * * *"\n`);
  return site.dir;
}

describe('status shows the next firing of each schedule', () => {
  it('after the runs, in pipeline order, with how long until it', async (t) => {
    const cwd = await scheduledSite(t);
    const empty = await runCli(['status'], { cwd, now: NOW });
    assert.equal(empty.status, 0, empty.stderr);
    assert.equal(empty.stdout, [
      'schedule phase2 "0 3 * * *": next 2026-11-30T03:00:00Z (in 15h12m)',
      'schedule images "0 1 * * 0": next 2026-12-06T01:00:00Z (in 6d13h12m)',
      '',
    ].join('\n'));

    mkdirSync(join(cwd, 'updates'), { recursive: true });
    writeFileSync(join(cwd, 'updates', 'good.yml'), updateText('green', ['kilo/epel-7']));
    assert.equal((await runCli(['submit', 'updates/good.yml', '--detach'], { cwd })).status, 0);
    const lines = (await runCli(['status'], { cwd, now: NOW })).stdout.split('\n');
    assert.match(lines[0]!, /^\S+ {2}\S+ {2}phase1 {2}good {3}queued/, 'the newest run stays the first line');
    assert.match(lines[1]!, /^schedule phase2 /);

    const runs = JSON.parse((await runCli(['status', '--json'], { cwd, now: NOW })).stdout);
    assert.ok(Array.isArray(runs) && runs.length === 1 && runs[0].updateId === 'good', '--json is still the bare array of runs');
    const one = await runCli(['status', runs[0].id], { cwd, now: NOW });
    assert.doesNotMatch(one.stdout, /schedule/, 'a run\'s matrix has no schedule lines');
  });

  it('alone with --schedules, as text or JSON, without touching the store', async (t) => {
    const cwd = await scheduledSite(t);
    const text = await runCli(['status', '--schedules'], { cwd, now: NOW });
    assert.equal(text.status, 0);
    assert.match(text.stdout, /^schedule phase2 "0 3 \* \* \*": next 2026-11-30T03:00:00Z \(in 15h12m\)\n/);
    const json = await runCli(['status', '--schedules', '--json'], { cwd, now: NOW });
    assert.deepEqual(JSON.parse(json.stdout), [
      { pipeline: 'phase2', cron: '0 3 * * *', timezone: 'UTC', next: '2026-11-30T03:00:00Z', inMs: Date.parse('2026-11-30T03:00:00Z') - NOW },
      { pipeline: 'images', cron: '0 1 * * 0', timezone: 'UTC', next: '2026-12-06T01:00:00Z', inMs: Date.parse('2026-12-06T01:00:00Z') - NOW },
    ]);
    const usage = await runCli(['status', 'some-run', '--schedules'], { cwd, now: NOW });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--schedules/);
    assert.equal(existsSync(join(cwd, '.sluice', 'sluice.db')), false, 'no store was opened, nor made');
  });

  it('prints nothing more without schedules', async (t) => {
    const site = await makeSite(tempDir(t));
    assert.equal((await runCli(['status'], { cwd: site.dir, now: NOW })).stdout, '');
    assert.equal((await runCli(['status', '--schedules', '--json'], { cwd: site.dir, now: NOW })).stdout, '[]\n');
  });
});
