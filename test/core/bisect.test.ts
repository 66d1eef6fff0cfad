import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nextBisect, type BisectDecision, type GroupResult } from '../../src/core/bisect.js';

type Oracle = (group: readonly string[], round: number) => boolean;

/** Runs bisection against an oracle, as phase2 would against real test runs. */
function drive(batch: string[], oracle: Oracle): { decision: Extract<BisectDecision, { kind: 'done' }>; rounds: number; tests: number } {
  const history: GroupResult[] = [];
  for (let round = 1; round < 1000; round++) {
    const d = nextBisect(batch, history);
    if (d.kind === 'done') return { decision: d, rounds: round - 1, tests: history.length };
    for (const group of d.groups) history.push({ group, passed: oracle(group, round) });
  }
  throw new Error('bisection did not end');
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${String(i).padStart(3, '0')}`);
const containsCulprit = (culprits: ReadonlySet<string>): Oracle => (group) => !group.some((u) => culprits.has(u));

describe('culprit bisection', () => {
  it('passes a green batch in one round', () => {
    const r = drive(ids(9), () => true);
    assert.deepEqual([r.rounds, r.decision.clean.length, r.decision.culprits], [1, 9, []]);
  });

  it('finds one culprit among eight in 1 + log2(8) rounds and clears the other seven', () => {
    const r = drive(ids(8), containsCulprit(new Set(['u005'])));
    assert.deepEqual(r.decision.culprits, [['u005']]);
    assert.deepEqual(r.decision.clean.slice().sort(), ids(8).filter((u) => u !== 'u005'));
    assert.equal(r.rounds, 4);
  });

  it('finds any k culprits among n within k*ceil(log2 n)+1 rounds, and nothing else (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.nat(), { maxLength: 5 }), (n, picks) => {
      const batch = ids(n);
      const culprits = new Set(picks.map((p) => batch[p % n] as string));
      const r = drive(batch, containsCulprit(culprits));
      assert.deepEqual(r.decision.culprits.map((c) => c.join()).sort(), [...culprits].sort());
      assert.deepEqual(r.decision.clean.slice().sort(), batch.filter((u) => !culprits.has(u)));
      assert.deepEqual(r.decision.flaky, []);
      const k = culprits.size;
      assert.ok(r.rounds <= Math.max(1, k * Math.ceil(Math.log2(n)) + 1), `${r.rounds} rounds for ${k} culprits among ${n}`);
    }), { numRuns: 500 });
  });

  it('recognises a flaky batch (passes when tested again) instead of bisecting forever', () => {
    const r = drive(ids(16), (group, round) => !(round === 1 && group.length === 16));
    assert.deepEqual(r.decision.flaky, [ids(16)]);
    assert.equal(r.decision.clean.length, 16);
    assert.deepEqual(r.decision.culprits, []);
    assert.equal(r.rounds, 3, 'the batch, its halves, the batch again');
  });

  it('blames a group that fails only as a whole when no split separates it', () => {
    // u001 and u012 break only together: the smallest failing group holding both is blamed.
    const r = drive(ids(16), (group) => !(group.includes('u001') && group.includes('u012')));
    assert.deepEqual(r.decision.culprits, [ids(16)]);
    assert.deepEqual(r.decision.clean, []);
  });

  it('resumes from the recorded history: the same results give the same decision', () => {
    const history: GroupResult[] = [{ group: ids(4), passed: false }];
    assert.deepEqual(nextBisect(ids(4), history), nextBisect(ids(4), [...history]));
    assert.deepEqual(nextBisect(ids(4), history), { kind: 'test', groups: [['u000', 'u001'], ['u002', 'u003']] });
  });

  it('refuses a batch naming an update twice', () => {
    assert.throws(() => nextBisect(['a', 'a'], []), /each update once/);
  });
});
