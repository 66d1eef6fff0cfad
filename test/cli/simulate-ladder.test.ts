import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChainFigures } from '../../src/sim/chain-bound.js';
import type { LadderSummary } from '../../src/sim/ladder.js';
import type { SimStats } from '../../src/sim/stats.js';
import { runCli } from '../helpers/cli.js';
import { NO_SHARED, sharedPath, tempDir } from '../helpers/paths.js';

const DAY = 86_400_000;

interface Output {
  reference: { medianDays: number; p90Days: number; source: string };
  results: { capacity: number; stats: SimStats; ladder: { all: LadderSummary; pushedIn2015: LadderSummary | null } }[];
}

describe('sluice simulate: the whole ladder', () => {
  const real = sharedPath('samples', 'rdo-traffic.jsonl');
  it('takes RDO\'s 2015 traffic to production: later than to ready/, later than phase1, beside the real figure', { skip: real ? false : NO_SHARED }, async (t) => {
    const r = await runCli(['simulate', '--traffic', real!, '--capacity', '2', '--json'], { cwd: tempDir(t) });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.deepEqual([out.reference.medianDays, out.reference.p90Days], [8.1, 41.7]);
    assert.match(out.reference.source, /quoted from the issue/);
    const [{ stats, ladder }] = out.results as [Output['results'][number]];
    const { all, pushedIn2015: pushed } = ladder;
    assert.equal(all.merged, stats.verdicts.pass);
    assert.ok(all.production > 0 && all.production <= all.ready && all.ready <= all.merged, JSON.stringify(all));
    assert.ok(all.toProductionMs.median >= all.toReadyMs.median, 'production comes after ready/');
    assert.ok(all.toReadyMs.median >= stats.latencyMs.median, 'ready/ comes after phase1');
    assert.ok(all.toProductionMs.p90 >= all.toProductionMs.median);
    // A daily phase2 and a weekday promote: most updates are in production within days, none in under three hours.
    assert.ok(all.toProductionMs.median < 7 * DAY && all.toProductionMs.median > 3 * 3_600_000, `median ${all.toProductionMs.median}`);
    assert.ok(all.phase2Runs > 0 && all.promotes > 0 && all.promotes <= all.production);
    assert.ok(pushed !== null && pushed.production > 0 && pushed.production <= 92, 'the real figure\'s counterpart: over the 92 updates RDO pushed');
  });

  it('prints the ladder table after the phase1 table, with the real 2015 figure as the reference', async (t) => {
    const r = await runCli(['simulate', '--burst', '8', '--over', '1d', '--capacity', '1,2', '--red', '0'], { cwd: tempDir(t) });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[1] ?? '', /^capacity\s+updates\s+jobs/, 'the phase1 table is unchanged');
    const at = lines.findIndex((l) => /^capacity\s+merged\s+ready\s+prod\s+ready-med\s+ready-p90\s+prod-med\s+prod-p90/.test(l));
    assert.ok(at > 2, r.stdout);
    assert.match(lines[at - 1] ?? '', /scheduled ladder \(phase2 "0 3 \* \* \*", promote "0 6 \* \* 1-5", times UTC\) after phase1: a phase2 job 50m .* promote 25m .* culprit rate 0\.05, fix delay 2d/);
    assert.match(lines[at] ?? '', /prod-p90\s+chain-med\s+x-med\s+x-p90\s+pushed/);
    assert.match(lines[at + 1] ?? '', /^\s+1\s+8\s+\d+\s+\d+\s+\d+\.\dd\s+\d+\.\dd\s+\d+\.\dd\s+\d+\.\dd\s+\d+h\d\dm\s+\d+\.\d\dx\s+\d+\.\d\dx\s+-\s+-\s+-\s+/, 'a burst has no 2015 outcome');
    assert.match(lines[at + 2] ?? '', /^\s+2\s+8\s/);
    assert.match(r.stdout, /^reference, RDO 2015 \(a manual process\): median 8\.1d, p90 41\.7d from `New <id>` to `Push ready\/<id>`, quoted from the issue/m);
  });

  it('follows the culprit rate and the fix delay', async (t) => {
    const cwd = tempDir(t);
    const run = async (...args: string[]) => {
      const r = await runCli(['simulate', '--burst', '6', '--over', '1d', '--capacity', '2', '--red', '0', '--json', ...args], { cwd });
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as Output).results[0]!.ladder.all;
    };
    const none = await run('--culprit-rate', '0');
    assert.deepEqual([none.merged, none.ready, none.production, none.culprits, none.bisectionRounds], [6, 6, 6, 0, 0]);
    const all = await run('--culprit-rate', '1', '--fix-delay', 'never');
    assert.deepEqual([all.ready, all.production, all.dropped, all.culprits], [0, 0, 6, 6]);
    const hourly = await run('--culprit-rate', '0', '--phase2-schedule', '0 * * * *', '--promote-schedule', '*/30 * * * *');
    assert.ok(hourly.toProductionMs.median < none.toProductionMs.median, 'a more frequent schedule gets there sooner');
  });

  it('--ladder scheduled,continuous compares both on the same traffic, each against every update\'s chain bound', async (t) => {
    const r = await runCli(['simulate', '--burst', '8', '--over', '2d', '--capacity', '2', '--red', '0', '--culprit-rate', '0', '--ladder', 'scheduled,continuous', '--json'], { cwd: tempDir(t) });
    assert.equal(r.status, 0, r.stderr);
    const [res] = (JSON.parse(r.stdout) as { results: { ladders: Record<string, { all: LadderSummary; chain: ChainFigures }> }[] }).results;
    const { scheduled, continuous } = res!.ladders;
    assert.ok(scheduled && continuous);
    // The same updates, the same chain bounds: only the pacing differs.
    assert.deepEqual(scheduled.chain.boundMs, continuous.chain.boundMs);
    assert.equal(continuous.all.production, 8);
    // No update beats its chain; the continuous ladder comes within a batch of it, the daily schedule does not.
    assert.ok(continuous.chain.ratio.median >= 1 && scheduled.chain.ratio.median >= 1, JSON.stringify([scheduled.chain, continuous.chain]));
    assert.ok(continuous.chain.ratio.median < 2, JSON.stringify(continuous.chain));
    assert.ok(scheduled.chain.ratio.median > continuous.chain.ratio.median);
    assert.ok(continuous.all.toProductionMs.median < scheduled.all.toProductionMs.median);
    const text = await runCli(['simulate', '--burst', '8', '--over', '2d', '--capacity', '2', '--red', '0', '--ladder', 'scheduled,continuous', '--phase2-window', '10m'], { cwd: tempDir(t) });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^the continuous ladder \(phase2 as soon as updates\/ holds something untested, after a window of 10m, promote as soon as ready\/ changes\)/m);
    assert.match(text.stdout, /^ {2}on 2 nodes: scheduled \S+\/\S+ \(\d+\.\d\dx\/\d+\.\d\dx the median chain \S+\); continuous \S+\/\S+ \(\d+\.\d\dx\/\d+\.\d\dx the median chain \S+\)$/m);
  });

  it('refuses a bad schedule, rate or delay with a usage error', async (t) => {
    const cwd = tempDir(t);
    for (const [args, message] of [
      [['--phase2-schedule', 'daily'], /--phase2-schedule wants a cron expression/],
      [['--promote-schedule', '0 25 * * *'], /--promote-schedule wants a cron expression/],
      [['--culprit-rate', '1.5'], /--culprit-rate wants a probability/],
      [['--fix-delay', 'soon'], /--fix-delay wants a duration/],
      [['--ladder', 'cron'], /--ladder wants a list of scheduled, continuous, not "cron"/],
      [['--phase2-window', 'a bit'], /--phase2-window wants a duration/],
    ] as const) {
      const r = await runCli(['simulate', '--burst', '2', ...args], { cwd });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message);
    }
  });
});
