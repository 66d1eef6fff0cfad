import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ladderSummary, simulateLadder, type LadderOptions, type LadderUpdate } from '../../src/sim/ladder.js';
import { keyedRandom } from '../../src/sim/prng.js';
import { buildsFor, simulationConfig, type Submission } from '../../src/sim/traffic.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Monday 2015-01-05 00:00 UTC. */
const MON = Date.UTC(2015, 0, 5);

/** An update of one package on `targets`, with the update file the simulation writes for it. */
const update = (id: string, mergedAt: number | null, targets = ['kilo/epel-7']): LadderUpdate & Submission => {
  const s = { id, submittedAt: (mergedAt ?? MON) - HOUR, targets, packages: ['openstack-nova'] };
  return { ...s, mergedAt, builds: buildsFor(s) };
};
/** No update is ever a culprit. */
const clean = () => 0.99;
/** Exactly these (update, entry) pairs are culprits. */
const culprits = (...pairs: string[]) => (key: string) => (pairs.some((p) => key === `culprit\0${p.replace(':', '\0')}`) ? 0 : 0.99);
/** phase2 plans with the simulation's configuration of these updates' targets. */
const ladder = (updates: (LadderUpdate & Submission)[], o: Partial<LadderOptions> = {}) =>
  simulateLadder(updates, { config: simulationConfig(updates, { capacity: 1 }), capacity: 1, random: clean, ...o });
const outcome = (r: ReturnType<typeof simulateLadder>, id: string) => r.updates.find((u) => u.id === id)!;

describe('ladder simulation', () => {
  it('moves a clean update through the default schedule: phase2 at 03:00, promote at 06:00 on weekdays', () => {
    const r = ladder([update('a', MON + HOUR)]);
    assert.equal(outcome(r, 'a').readyAt, MON + 3 * HOUR + 50 * MIN);
    assert.equal(outcome(r, 'a').productionAt, MON + 6 * HOUR + 25 * MIN);
    // Merged on Friday morning: tested on Saturday, promoted on Monday.
    const fri = ladder([update('f', MON + 4 * DAY + 10 * HOUR)]);
    assert.equal(outcome(fri, 'f').readyAt, MON + 5 * DAY + 3 * HOUR + 50 * MIN);
    assert.equal(outcome(fri, 'f').productionAt, MON + 7 * DAY + 6 * HOUR + 25 * MIN);
  });

  it('starts no second phase2 while one runs: firings during it coalesce into one run at its end', () => {
    // Hourly firings; a's three targets take three 50-minute jobs on one node (01:00-03:30).
    const r = ladder([update('a', MON + 30 * MIN, ['kilo/epel-7', 'kilo/fedora-22', 'liberty/epel-7']), update('b', MON + 90 * MIN)], { phase2Schedule: '0 * * * *' });
    assert.deepEqual(r.phase2.map((p) => [p.batch, p.startedAt - MON, p.endedAt - MON, p.coalesced]), [
      [['a'], HOUR, 3 * HOUR + 30 * MIN, false],
      [['b'], 3 * HOUR + 30 * MIN, 4 * HOUR + 20 * MIN, true],
    ]);
    assert.equal(ladderSummary(r).coalesced, 1);
  });

  it('never overlaps two phase2 runs, whatever the traffic (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(3 * DAY), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 3 }), (subs, capacity) => {
      const targets = ['a/x', 'b/x', 'c/x', 'd/x'];
      const us = subs.map(([at, k], i) => update(`u${i}`, MON + at, targets.slice(0, k)));
      const r = ladder(us, { capacity, phase2Schedule: '*/20 * * * *', culpritRate: 0.3, random: (key) => keyedRandom(7, key)() });
      for (let i = 1; i < r.phase2.length; i++) assert.ok(r.phase2[i]!.startedAt >= r.phase2[i - 1]!.endedAt);
      for (const p of r.phase2) for (const id of p.batch) assert.ok(outcome(r, id).mergedAt! <= p.startedAt || outcome(r, id).culpritTimes > 0);
    }), { numRuns: 100 });
  });

  it('leaves an update merged after the snapshot for the next phase2', () => {
    const r = ladder([update('early', MON + 2 * HOUR), update('at', MON + 3 * HOUR), update('late', MON + 3 * HOUR + MIN)]);
    // The batch in the planner's order, file names' (a real phase2's), not merge times'.
    assert.deepEqual(r.phase2.map((p) => [p.batch, p.startedAt - MON]), [[['at', 'early'], 3 * HOUR], [['late'], DAY + 3 * HOUR]]);
    assert.equal(outcome(r, 'late').readyAt, MON + DAY + 3 * HOUR + 50 * MIN);
    assert.equal(outcome(r, 'late').productionAt, MON + DAY + 6 * HOUR + 25 * MIN);
  });

  it('does not promote a culprit, and promotes the rest of its batch', () => {
    const us = ['a', 'b', 'bad', 'c', 'd'].map((id) => update(id, MON + HOUR));
    const dropped = ladder(us, { random: culprits('bad:1'), fixDelayMs: null });
    assert.deepEqual(dropped.phase2.map((p) => [p.culprits, [...p.moved].sort()]), [[['bad'], ['a', 'b', 'c', 'd']]]);
    assert.deepEqual(dropped.promotes.map((p) => [...p.updates].sort()), [['a', 'b', 'c', 'd']]);
    assert.deepEqual([outcome(dropped, 'bad').readyAt, outcome(dropped, 'bad').productionAt, outcome(dropped, 'bad').dropped], [null, null, true]);
    for (const id of ['a', 'b', 'c', 'd']) assert.ok(outcome(dropped, id).productionAt !== null);
    // With a fix: back two days later, tested in the next phase2, promoted then.
    const fixed = ladder(us, { random: culprits('bad:1') });
    const bad = outcome(fixed, 'bad');
    assert.deepEqual([bad.culpritTimes, bad.dropped], [1, false]);
    assert.ok(bad.productionAt! > outcome(fixed, 'a').productionAt!);
    assert.deepEqual(fixed.promotes.map((p) => p.updates), [['a', 'b', 'c', 'd'], ['bad']]);
  });

  it('gives up on an update that is still a culprit after its fixes', () => {
    const r = ladder([update('x', MON + HOUR)], { random: culprits('x:1', 'x:2'), maxFixes: 1 });
    assert.deepEqual([outcome(r, 'x').culpritTimes, outcome(r, 'x').dropped, outcome(r, 'x').productionAt], [2, true, null]);
    assert.equal(r.phase2.length, 2);
  });

  it('takes the rounds of the real bisection: k culprits among n within k*ceil(log2 n)+1 (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(), { maxLength: 4 }), (n, picks) => {
      const ids = Array.from({ length: n }, (_, i) => `u${String(i).padStart(2, '0')}`);
      const bad = new Set(picks.map((p) => ids[p % n]!));
      const r = ladder(ids.map((id) => update(id, MON + HOUR)), { random: culprits(...[...bad].map((id) => `${id}:1`)), fixDelayMs: null });
      assert.equal(r.phase2.length, 1);
      const run = r.phase2[0]!;
      assert.deepEqual([...run.culprits].sort(), [...bad].sort());
      assert.ok(run.rounds <= bad.size * Math.ceil(Math.log2(n)) + 1, `${run.rounds} rounds for ${bad.size} culprits among ${n}`);
      assert.equal(ladderSummary(r).bisectionRounds, run.rounds - 1);
      assert.equal(ladderSummary(r).culprits, bad.size);
    }), { numRuns: 300 });
  });

  it('runs the groups of a round side by side when the nodes suffice, and one after the other when not', () => {
    // One culprit of two: round 1 the pair (one job), round 2 each alone (two jobs).
    const us = [update('a', MON + HOUR), update('b', MON + HOUR)];
    const length = (capacity: number) => {
      const [p] = ladder(us, { capacity, random: culprits('b:1'), fixDelayMs: null }).phase2;
      return [p!.rounds, p!.jobs, p!.endedAt - p!.startedAt];
    };
    assert.deepEqual(length(2), [2, 3, 100 * MIN]);
    assert.deepEqual(length(1), [2, 3, 150 * MIN]);
  });

  it('promotes only what is in ready/ when it fires', () => {
    // a ready Monday 03:50; b merged Monday 04:00, ready Tuesday 03:50.
    const r = ladder([update('a', MON + HOUR), update('b', MON + 4 * HOUR)]);
    assert.deepEqual(r.promotes.map((p) => [p.updates, p.startedAt - MON]), [[['a'], 6 * HOUR], [['b'], DAY + 6 * HOUR]]);
    for (const p of r.promotes) for (const id of p.updates) assert.ok(outcome(r, id).readyAt! <= p.startedAt);
  });

  it('leaves an update phase1 rejected out of the ladder', () => {
    const r = ladder([update('a', MON + HOUR), update('no', null)]);
    assert.deepEqual(r.phase2.map((p) => p.batch), [['a']]);
    assert.deepEqual([outcome(r, 'no').readyAt, outcome(r, 'no').productionAt], [null, null]);
    assert.deepEqual([ladderSummary(r).merged, ladderSummary(r).production], [1, 1]);
  });

  it('gives the same result for the same seed, and other culprits for another', () => {
    const us = Array.from({ length: 60 }, (_, i) => update(`u${i}`, MON + i * 5 * HOUR, [`r${i % 3}/x`]));
    const run = (seed: number) => ladder(us, { capacity: 2, culpritRate: 0.2, flakyRate: 0.1, random: (k) => keyedRandom(seed, 'ladder', k)() });
    assert.deepEqual(run(3), run(3));
    const culpritsOf = (seed: number) => run(seed).phase2.flatMap((p) => p.culprits);
    assert.ok(culpritsOf(3).length > 0);
    assert.notDeepEqual(culpritsOf(3), culpritsOf(4));
  });

  it('continuous: phase2 starts at the merge, promote at the move to ready/, with no schedule', () => {
    const r = ladder([update('a', MON + HOUR + 7 * MIN)], { ladder: 'continuous' });
    assert.equal(outcome(r, 'a').readyAt, MON + HOUR + 57 * MIN);
    assert.equal(outcome(r, 'a').productionAt, MON + 2 * HOUR + 22 * MIN);
    // On a Friday evening as on a Monday morning: no weekend to wait for.
    const fri = ladder([update('f', MON + 4 * DAY + 22 * HOUR)], { ladder: 'continuous' });
    assert.equal(outcome(fri, 'f').productionAt, MON + 4 * DAY + 23 * HOUR + 15 * MIN);
  });

  it('continuous: updates merged while phase2 runs wait for its end and go together, never two phase2 at once', () => {
    const us = [update('a', MON + HOUR), update('b', MON + HOUR + 10 * MIN), update('c', MON + HOUR + 20 * MIN)];
    const r = ladder(us, { ladder: 'continuous' });
    assert.deepEqual(r.phase2.map((p) => [p.batch, p.startedAt - MON, p.endedAt - MON]), [
      [['a'], HOUR, HOUR + 50 * MIN],
      [['b', 'c'], HOUR + 50 * MIN, 2 * HOUR + 40 * MIN],
    ]);
    // promote follows ready/: a at 01:50, b and c together when their phase2 moves them.
    assert.deepEqual(r.promotes.map((p) => [p.updates, p.startedAt - MON]), [[['a'], HOUR + 50 * MIN], [['b', 'c'], 2 * HOUR + 40 * MIN]]);
    // A window waits for more: one phase2 for the three.
    const w = ladder(us, { ladder: 'continuous', phase2WindowMs: 30 * MIN });
    assert.deepEqual(w.phase2.map((p) => [p.batch, p.startedAt - MON]), [[['a', 'b', 'c'], HOUR + 30 * MIN]]);
  });

  it('continuous: never overlaps two phase2 or two promote runs, and each update reaches production once (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(3 * DAY), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 3 }), fc.nat(60), (subs, capacity, windowMin) => {
      const targets = ['a/x', 'b/x', 'c/x', 'd/x'];
      const us = subs.map(([at, k], i) => update(`u${i}`, MON + at, targets.slice(0, k)));
      const r = ladder(us, { capacity, ladder: 'continuous', phase2WindowMs: windowMin * MIN, culpritRate: 0.3, random: (key) => keyedRandom(7, key)() });
      for (const runs of [r.phase2, r.promotes]) for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.startedAt >= runs[i - 1]!.endedAt);
      const promoted = r.promotes.flatMap((p) => p.updates);
      assert.equal(new Set(promoted).size, promoted.length);
      for (const u of r.updates) assert.equal(u.productionAt !== null, !u.dropped);
    }), { numRuns: 100 });
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => ladder([update('a', MON + HOUR)], { capacity: 0 }), /capacity/);
  });
});
