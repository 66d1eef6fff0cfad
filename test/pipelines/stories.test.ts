import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainLines } from '../../src/cli/explain.js';
import { storyOf } from '../../src/pipelines/registry.js';
import type { Job, Run, RunRow } from '../../src/store/index.js';
import { phase2Run, promoteRun } from '../helpers/run-records.js';

// Each pipeline's story tells its runs; explain, status and the run page only ask for it.
const T = Date.parse('2026-12-07T10:00:00Z');
const row: RunRow = { id: 'r1', updateId: null, state: 'finished', verdict: 'fail', createdAt: T, startedAt: T, finishedAt: T, reason: 'culprit c', reportedAt: null, controller: 'phase2', cancelRequestedAt: null };

function job(id: string, target: string, result: Job['result'], spec: Record<string, unknown>): Job {
  return { id, runId: 'r1', target, kind: 'phase2/provision@local', state: 'finished', result, reason: result === 'failure' ? 'tests failed' : 'passed', skipReason: null, attempt: 1, maxAttempts: 1, interruptions: 0, availableAt: T, lockedBy: null, lockedUntil: null, node: null, logPath: null, liveLogPath: null, logOrigin: null, createdAt: T, startedAt: T, finishedAt: T, spec };
}

test('phase2: explain names each group of the bisection with why it was tested, and the culprit with the job that convicted it', () => {
  const run: Run = { ...row, ...phase2Run(['a', 'b', 'c', 'd']), outcome: { clean: ['a', 'b', 'd'], culprits: [{ updates: ['c'], stage: 'tests', failedJobs: ['r1.t3'] }], flaky: [], held: [] } };
  const jobs = [
    job('r1.t1', 'kilo/epel-7', 'failure', { stage: 'tests', round: 1, group: ['a', 'b', 'c', 'd'] }),
    job('r1.t2', 'kilo/epel-7', 'success', { stage: 'tests', round: 2, group: ['a', 'b'] }),
    job('r1.t3', 'kilo/epel-7', 'failure', { stage: 'tests', round: 2, group: ['c'] }),
  ];
  const lines = explainLines(run, jobs, []);
  assert.match(lines[0] ?? '', /^run r1: phase2 of 4 updates in updates\/ \(a b c d\) at commit c0ffee/);
  assert.ok(lines.includes('  plan: 2 test rounds, 3 jobs on 1 target (a failing group is split in halves, tested side by side in the next round)'), lines.join('\n'));
  assert.ok(lines.includes('  tests round 1, group [a b c d]: every update not convicted by the checks, together'));
  assert.ok(lines.includes('  tests round 2, group [c]: half of [a b c d], which failed in round 1 on kilo/epel-7'));
  assert.ok(lines.includes('    culprit c: failed the tests on its own on kilo/epel-7 in round 2 (job r1.t3); it stays in updates/'));
  assert.ok(lines.includes('    passed, moved to ready/: a b d'));
  // The run page's list links the culprit's update and its job.
  const items = storyOf(run).outcomeItems(run);
  assert.deepEqual(items.find((i) => i.culprit)?.parts, ['culprit ', { update: 'c' }, ': failed the tests on its own (', { job: 'r1.t3' }, ')']);
  assert.equal(storyOf(run).cellLabel(run, jobs[2] as Job), 'phase2 bisect r2: c');
});

test('promote: the outcome lines say what was pushed, refused, kept and published', () => {
  const run: Run = { ...row, controller: 'promote', verdict: 'pass', ...promoteRun(['a', 'b']), outcome: { pushed: [{ id: 'a', files: ['kilo/el7/x.rpm'] }], failed: [{ id: 'b', reasons: ['checksum differs'] }], kept: [], published: [{ target: 'kilo/epel-7', tree: 't2' }] } };
  assert.deepEqual(storyOf(run).outcomeLines(run, [], () => ['never asked']), ['pushed a:', '  kilo/el7/x.rpm', 'failed b (moved to failed/):', '  checksum differs', 'production kilo/epel-7 -> t2']);
  assert.match(explainLines(run, [], []).join('\n'), /refused b before stage \(to failed\/\): checksum differs/);
});

test('a run this version cannot read is told as such, not thrown on', () => {
  const run: Run = { ...row, pipeline: 'unreadable', storedPipeline: 'nightly', problem: 'unknown pipeline', inputs: {}, outcome: null };
  const lines = explainLines(run, [], []);
  assert.match(lines[0] ?? '', /^run r1: unreadable of update -/);
  assert.equal(storyOf(run).cellLabel(run, job('r1.x', 'kilo/epel-7', 'success', {})), 'nightly (unreadable)');
});
