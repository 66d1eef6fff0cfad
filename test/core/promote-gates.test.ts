import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvalWaitWhy, formatAge, promoteSetText, setMatches, soakSplit } from '../../src/core/promote-gates.js';

const H = 3_600_000;
const NOW = Date.UTC(2026, 11, 7, 12, 0);

test('min_soak splits ready/ by the time each update has been there; an unknown time holds it back', () => {
  const { eligible, soaking } = soakSplit([
    { id: 'old1', readySince: NOW - 25 * H },
    { id: 'edge', readySince: NOW - 24 * H },
    { id: 'hz8d', readySince: NOW - 2 * H - 13 * 60_000 },
    { id: 'nocm', readySince: undefined },
  ], 24 * H, NOW);
  assert.deepEqual(eligible, ['old1', 'edge']);
  assert.deepEqual(soaking.map((s) => s.why), [
    'hz8d: in ready/ for 2h13m of promote.min_soak 1d, eligible at 2026-12-08T09:47Z',
    'nocm: no commit put it in ready/, so its promote.min_soak 1d has not started',
  ]);
  assert.equal(soaking[0]?.eligibleAt, NOW - 2 * H - 13 * 60_000 + 24 * H);
});

test('ages read as the two largest units, rounded down', () => {
  assert.deepEqual([0, 999, 45_000, 90_000, 2 * H, 2 * H + 13 * 60_000 + 5000, 3 * 24 * H + 4 * H + 60_000, 24 * H].map(formatAge), ['0s', '0s', '45s', '1m30s', '2h', '2h13m', '3d4h', '1d']);
});

test('a set is its updates with their content hashes, in any order; a prefix of 6 or more hex digits names it', () => {
  const a = [{ id: 'bbbb', contentHash: '2'.repeat(64) }, { id: 'aaaa', contentHash: '1'.repeat(64) }];
  assert.equal(promoteSetText(a), promoteSetText([...a].reverse()));
  assert.equal(promoteSetText(a), `aaaa ${'1'.repeat(64)}\nbbbb ${'2'.repeat(64)}\n`);
  const hash = 'abcdef0123456789'.repeat(4);
  assert.ok(setMatches(hash, 'ABCDEF'));
  assert.ok(setMatches(hash, ` ${hash} `));
  assert.ok(!setMatches(hash, 'abcde'), 'too short to name one set');
  assert.ok(!setMatches(hash, 'abcdef1'));
  assert.ok(!setMatches(hash, 'abcdeg'));
  assert.equal(approvalWaitWhy('r1', hash, ['aaaa']), 'waits for approval of set abcdef012345 (1 update: aaaa) by a release manager: sluice approve r1');
});
