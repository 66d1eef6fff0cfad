import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collate } from '../../src/core/verdicts.js';
import { appliedWaiver, waiverFor, waiverStanding, type Waiver } from '../../src/core/waivers.js';

const T0 = 1_700_000_000_000;
const base: Waiver = {
  id: 'w1', updateId: 'hkvc', contentHash: 'c1', target: 'kilo/el8', test: null, reason: 'mirror broken', by: 'rm',
  createdAt: T0, expiresAt: T0 + 1000, revokedAt: null, revokedBy: null, revokeReason: null,
};
const failed = { updateId: 'hkvc', contentHash: 'c1', target: 'kilo/el8', failedTests: ['test_a'] };

test('a waiver covers a failure of its own update, content and target while it lasts, and not once revoked', () => {
  assert.equal(waiverFor(failed, [base], T0 + 1)?.id, 'w1');
  assert.equal(waiverFor({ ...failed, contentHash: 'c2' }, [base], T0 + 1), undefined, 'other content');
  assert.equal(waiverFor({ ...failed, updateId: 'other' }, [base], T0 + 1), undefined, 'other update');
  assert.equal(waiverFor({ ...failed, target: 'kilo/el7' }, [base], T0 + 1), undefined, 'other target');
  assert.equal(waiverFor(failed, [base], T0 + 1000), undefined, 'expired');
  assert.equal(waiverStanding(base, T0 + 1000), 'expired');
  const revoked = { ...base, revokedAt: T0 + 2, revokedBy: 'rm', revokeReason: 'fixed' };
  assert.equal(waiverFor(failed, [revoked], T0 + 3), undefined);
  assert.equal(waiverStanding(revoked, T0 + 3), 'revoked');
});

test('a waiver of a test covers the job only when that test is its only failure', () => {
  const ofTest = { ...base, id: 'w2', test: 'test_a' };
  assert.equal(waiverFor(failed, [ofTest], T0 + 1)?.id, 'w2');
  assert.equal(waiverFor({ ...failed, failedTests: ['test_a', 'test_b'] }, [ofTest], T0 + 1), undefined);
  assert.equal(waiverFor({ ...failed, failedTests: [] }, [ofTest], T0 + 1), undefined, 'no test results: a test waiver covers nothing');
  // A whole-target waiver wins over a test's, the oldest of equals first.
  assert.equal(waiverFor(failed, [ofTest, { ...base, id: 'w3', createdAt: T0 + 5 }, base], T0 + 10)?.id, 'w1');
});

test('collation counts a waived failure as passed and says so; another failure still fails', () => {
  const w = appliedWaiver(base);
  const waived = collate([{ target: 'kilo/el7', result: 'success' }, { target: 'kilo/el8', result: 'failure', waiver: w }]);
  assert.equal(waived.verdict, 'pass');
  assert.equal(waived.because, 'passed on kilo/el7; waived failure on kilo/el8 (by rm: mirror broken, until 2023-11-14 22:13 UTC (waiver w1))');
  const also = collate([{ target: 'kilo/el7', result: 'failure' }, { target: 'kilo/el8', result: 'failure', waiver: w }]);
  assert.equal(also.verdict, 'fail');
  assert.match(also.because, /^tests failed on kilo\/el7; waived failure on kilo\/el8/);
  assert.equal(collate([{ target: 'kilo/el8', result: 'failure', waiver: w }]).verdict, 'pass', 'the only target, waived');
  assert.equal(collate([{ target: 'kilo/el8', result: 'infra' }, { target: 'kilo/el7', result: 'failure', waiver: w }]).verdict, 'error');
  assert.deepEqual(collate([{ target: 'kilo/el7', result: 'success' }]), { verdict: 'pass', because: 'passed on kilo/el7' }, 'no waiver: as before');
});
