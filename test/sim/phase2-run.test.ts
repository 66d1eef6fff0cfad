import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config } from '../../src/core/config.js';
import { parseConfigText } from '../../src/drivers/registry.js';
import { simulatePhase2Run } from '../../src/sim/phase2-run.js';
import { buildsFor, simulationConfig, simulationConfigText, type Submission } from '../../src/sim/traffic.js';

const MIN = 60_000;
const sub = (id: string, targets: string[]): Submission => ({ id, submittedAt: 0, targets, packages: ['openstack-nova'] });
const updatesOf = (subs: readonly Submission[]) => subs.map((s) => ({ id: s.id, builds: buildsFor(s) }));

/** The simulation's configuration with built-in checks for phase2, as an operator could write it. */
function withPhase2Checks(subs: readonly Submission[]): Config {
  const o = JSON.parse(simulationConfigText(subs, { capacity: 1 })) as { pipelines: Record<string, Record<string, unknown>> };
  o.pipelines.phase2 = { ...o.pipelines.phase2, checks: ['conflicts'] };
  const parsed = parseConfigText(JSON.stringify(o), 'simulate.yaml');
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return parsed.config;
}

describe('a simulated phase2 run (the real planner)', () => {
  it('takes the batch in the planner\'s order and tests each group on every target its updates touch', () => {
    const subs = [sub('c', ['kilo/el7']), sub('a', ['kilo/el7', 'liberty/el7']), sub('b', ['kilo/f22'])];
    const r = simulatePhase2Run(updatesOf(subs), { config: simulationConfig(subs, { capacity: 2 }), capacity: 2, roundMs: 50 * MIN, fails: () => false });
    assert.deepEqual(r.batch, ['a', 'b', 'c'], 'file-name order, whatever order they came in');
    // One round: the whole batch on its three targets (el7 folded into epel-7), on two nodes.
    assert.deepEqual([r.rounds, r.jobs, r.durationMs], [1, 3, 2 * 50 * MIN]);
    assert.deepEqual([r.outcome.clean, r.outcome.culprits], [['a', 'b', 'c'], []]);
  });

  it('bisects to the culprit, each round as long as its jobs on the nodes', () => {
    const subs = ['a', 'b', 'c', 'd'].map((id) => sub(id, ['kilo/el7']));
    const config = simulationConfig(subs, { capacity: 1 });
    const r = simulatePhase2Run(updatesOf(subs), { config, capacity: 1, roundMs: 50 * MIN, fails: (group) => group.includes('c') });
    // abcd fails; ab passes, cd fails; c fails, d passes.
    assert.deepEqual(r.outcome.culprits.map((c) => [c.updates, c.stage]), [[['c'], 'tests']]);
    assert.deepEqual([...r.outcome.clean].sort(), ['a', 'b', 'd']);
    assert.deepEqual([r.rounds, r.jobs, r.durationMs], [3, 5, 5 * 50 * MIN]);
  });

  it('tests a group that failed with both halves passing once more, and calls it flaky when it passes', () => {
    const subs = [sub('a', ['kilo/el7']), sub('b', ['kilo/el7'])];
    const r = simulatePhase2Run(updatesOf(subs), { config: simulationConfig(subs, { capacity: 1 }), capacity: 1, roundMs: MIN, fails: (_group, round) => round === 1 });
    assert.deepEqual([r.outcome.clean, r.outcome.culprits, r.outcome.flaky], [['a', 'b'], [], [['a', 'b']]]);
    assert.equal(r.rounds, 3);
  });

  it('runs the package checks stage when the configuration names checks for phase2, without a node', () => {
    // The sim does not model checks: the stage is there because the planner plans it.
    const subs = [sub('a', ['kilo/el7']), sub('b', ['kilo/el7'])];
    const r = simulatePhase2Run(updatesOf(subs), { config: withPhase2Checks(subs), capacity: 1, roundMs: 50 * MIN, fails: () => false });
    assert.deepEqual(r.outcome.rounds, { checks: 1, tests: 1 });
    assert.deepEqual([r.rounds, r.jobs, r.durationMs], [2, 1, 50 * MIN]);
  });

  it('refuses an update the configuration cannot place rather than holding it forever', () => {
    const config = simulationConfig([sub('a', ['kilo/el7'])], { capacity: 1 });
    assert.throws(() => simulatePhase2Run(updatesOf([sub('x', ['juno/el7'])]), { config, capacity: 1, roundMs: MIN, fails: () => false }), /phase2 would hold x/);
  });
});
