import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPolicies, type PolicyFigures } from '../../src/sim/policies.js';
import type { Submission } from '../../src/sim/traffic.js';
import { runCli } from '../helpers/cli.js';
import { NO_SHARED, sharedPath, tempDir } from '../helpers/paths.js';

const MIN = 60_000;
const T0 = Date.UTC(2015, 5, 1);

/** Two updates submitted at the same instant, one target each. */
const pair = (second = 'openstack-nova'): Submission[] => [
  { id: 'a', submittedAt: T0, targets: ['kilo/el7'], packages: ['openstack-nova'] },
  { id: 'b', submittedAt: T0, targets: ['kilo/f22'], packages: [second] },
];
// Boot 5m, provision 30m, tests exactly 20m, every update green.
const exact = { seed: 1, bootMs: 5 * MIN, provisionMs: 30 * MIN, testMs: 20 * MIN, testJitter: 0, red: 0 };

describe('sluice simulate --policy', () => {
  it('gives the hand-computed makespans and times to verdict for two simultaneous updates on 1 and 2 nodes', async () => {
    const rows = await runPolicies({ ...exact, submissions: pair() }, ['v0.1', 'always-provision', 'sluice'], [1, 2]);
    const got = rows.map(({ policy, result: r }) => [policy, r.capacity, r.provisioned, r.stats.makespanMs / MIN, r.stats.latencyMs.median / MIN, r.stats.latencyMs.p90 / MIN]);
    assert.deepEqual(got, [
      // One node, images: 25m then 25m more.
      ['v0.1', 1, 0, 50, 25, 50],
      // Provisioned: 50m each, one after the other on one node, side by side on two.
      ['always-provision', 1, 2, 100, 50, 100],
      ['always-provision', 2, 2, 50, 50, 50],
      ['sluice', 1, 0, 50, 25, 50],
      ['sluice', 2, 0, 25, 25, 25],
    ]);
    for (const { result: r } of rows) assert.equal(r.stats.unfinished, 0);
    // Utilisation: two 25m jobs over 25m on 2 nodes; two 50m jobs over 100m on 1 node.
    assert.equal(rows[4]?.result.stats.utilisation, 1);
    assert.equal(rows[1]?.result.stats.utilisation, 1);
  });

  it('provisions a must-provision package under v0.1 and sluice, and v0.1 stays on one node whatever --capacity says', async () => {
    const rows = await runPolicies({ ...exact, submissions: pair('openstack-packstack') }, ['v0.1', 'sluice'], [2]);
    const got = rows.map(({ policy, result: r }) => [policy, r.capacity, r.provisioned, r.stats.makespanMs / MIN]);
    // v0.1: 25m (image) + 50m (provisioned) on one node; sluice on two: the longer job, 50m.
    assert.deepEqual(got, [['v0.1', 1, 1, 75], ['sluice', 2, 1, 50]]);
  });

  it('prints one row per policy and capacity with the closing note, and refuses an unknown policy', async (t) => {
    const cwd = tempDir(t);
    const r = await runCli(['simulate', '--burst', '6', '--over', '2h', '--capacity', '2', '--policy', 'v0.1,always-provision,sluice'], { cwd });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[1] ?? '', /^policy\s+capacity\s+updates\s+jobs\s+provisioned\s+makespan\s+median\s+p90/);
    assert.match(lines[2] ?? '', /^v0\.1\s+1\s+6\s+12\s/);
    assert.match(lines[3] ?? '', /^always-provision\s+2\s+6\s+12\s+12\s/);
    assert.match(lines[4] ?? '', /^sluice\s+2\s+6\s+12\s/);
    assert.match(r.stdout, /makespan, median\/p90 to verdict:\n {2}v0\.1 \(one node\): .*\n {2}on 2 nodes: sluice .*; always-provision /);
    const bad = await runCli(['simulate', '--burst', '3', '--policy', 'sluice,fifo'], { cwd });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--policy wants a list of v0\.1, always-provision, sluice, not "fifo"/);
  });

  const real = sharedPath('samples', 'rdo-traffic.jsonl');
  it('on RDO\'s 2015 traffic, sluice is never slower to a verdict than always-provision or v0.1', { skip: real ? false : NO_SHARED }, async (t) => {
    const r = await runCli(['simulate', '--traffic', real!, '--capacity', '2', '--policy', 'v0.1,always-provision,sluice', '--json'], { cwd: tempDir(t) });
    assert.equal(r.status, 0, r.stderr);
    const { policies } = JSON.parse(r.stdout) as { policies: PolicyFigures[] };
    assert.deepEqual(policies.map((p) => [p.policy, p.capacity]), [['v0.1', 1], ['always-provision', 2], ['sluice', 2]]);
    const [v01, always, sluice] = policies as [PolicyFigures, PolicyFigures, PolicyFigures];
    for (const p of policies) assert.deepEqual([p.updates, p.unfinished], [127, 0]);
    assert.equal(always.provisioned, always.jobs, 'always-provision provisions every job');
    assert.ok(sluice.provisioned > 0 && sluice.provisioned < sluice.jobs, 'sluice provisions only must-provision packages');
    assert.equal(sluice.provisioned, v01.provisioned);
    assert.ok(sluice.timeToVerdictMs.p90 <= always.timeToVerdictMs.p90, `sluice p90 ${sluice.timeToVerdictMs.p90} <= always-provision ${always.timeToVerdictMs.p90}`);
    assert.ok(sluice.timeToVerdictMs.p90 <= v01.timeToVerdictMs.p90, `sluice p90 ${sluice.timeToVerdictMs.p90} <= v0.1 ${v01.timeToVerdictMs.p90}`);
    assert.ok(sluice.timeToVerdictMs.median <= always.timeToVerdictMs.median);
    assert.ok(always.utilisation > sluice.utilisation, 'provisioning keeps nodes busier for the same work');
  });
});
