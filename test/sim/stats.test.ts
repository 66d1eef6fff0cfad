import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attemptsFromEvents, lowerBound, quantile, simStats } from '../../src/sim/stats.js';

// Three updates on two nodes, times in minutes. A's job a1 hit an infra failure once.
//   A submitted 0, verdict 100: a1 0-40 (retried), 50-90; a2 0-30
//   B submitted 10, verdict 70:  b1 40-70
//   C submitted 50, verdict 200: c1 90-200
const runs = [
  { id: 'A', createdAt: 0, finishedAt: 100, verdict: 'pass' },
  { id: 'B', createdAt: 10, finishedAt: 70, verdict: 'fail' },
  { id: 'C', createdAt: 50, finishedAt: 200, verdict: 'pass' },
];
const jobs = [{ id: 'a1', runId: 'A' }, { id: 'a2', runId: 'A' }, { id: 'b1', runId: 'B' }, { id: 'c1', runId: 'C' }];
const attempts = [
  { jobId: 'a1', startedAt: 0, endedAt: 40, retried: true },
  { jobId: 'a2', startedAt: 0, endedAt: 30, retried: false },
  { jobId: 'b1', startedAt: 40, endedAt: 70, retried: false },
  { jobId: 'a1', startedAt: 50, endedAt: 90, retried: false },
  { jobId: 'c1', startedAt: 90, endedAt: 200, retried: false },
];

describe('simulation figures', () => {
  const s = simStats({ runs, jobs, attempts, capacity: 2 });

  it('counts updates, jobs, attempts and retries', () => {
    assert.deepEqual([s.updates, s.jobs, s.attempts, s.retries, s.unfinished], [3, 4, 5, 1, 0]);
    assert.deepEqual(s.verdicts, { pass: 2, fail: 1 });
  });

  it('measures the makespan from the first submission to the last verdict', () => {
    assert.equal(s.makespanMs, 200);
  });

  it('takes nearest-rank median and p90 of submission to verdict (60, 100, 150)', () => {
    assert.deepEqual(s.latencyMs, { median: 100, p90: 150, max: 150 });
  });

  it('counts every attempt as busy node time, and utilisation against capacity x makespan', () => {
    assert.equal(s.busyMs, 40 + 30 + 30 + 40 + 110);
    assert.equal(s.utilisation, 250 / (2 * 200));
  });

  it('averages the wait from submission to a job\'s first node (0, 0, 30, 40)', () => {
    assert.equal(s.meanQueueWaitMs, 17.5);
  });

  it('bounds the makespan by the latest submission plus its longest job, and by work over capacity', () => {
    // Per update: A 0+80, B 10+30, C 50+110 = 160. Windows: from 0, 250/2 = 125; from 10,
    // 10 + 140/2 = 80; from 50, 50 + 110/2 = 105. The bound is 160.
    assert.equal(s.lowerBoundMs, 160);
    assert.equal(s.ratio, 200 / 160);
  });

  it('lets the work term win when nodes are few', () => {
    assert.equal(lowerBound([{ submittedAt: 0, jobWorkMs: [10, 10, 10, 10] }, { submittedAt: 5, jobWorkMs: [10] }], 1), 50);
  });

  it('takes quantiles by nearest rank and 0 of nothing', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
    assert.equal(quantile([1, 2, 3, 4], 0.9), 4);
    assert.equal(quantile([], 0.5), 0);
  });

  it('reads attempts from the store\'s job events: a retry or a reclaim ends one, a final reclaim leaves it to job.finished', () => {
    const events = [
      { at: 0, kind: 'run.created', jobId: null },
      { at: 0, kind: 'job.started', jobId: 'a1' },
      { at: 40, kind: 'job.retried', jobId: 'a1' },
      { at: 50, kind: 'job.started', jobId: 'a1' },
      { at: 90, kind: 'job.finished', jobId: 'a1' },
      { at: 0, kind: 'job.started', jobId: 'b1' },
      { at: 30, kind: 'job.reclaimed', jobId: 'b1', payload: { final: false } },
      { at: 35, kind: 'job.started', jobId: 'b1' },
      { at: 60, kind: 'job.reclaimed', jobId: 'b1', payload: { final: true } },
      { at: 60, kind: 'job.finished', jobId: 'b1' },
    ];
    assert.deepEqual(attemptsFromEvents(events), [
      { jobId: 'a1', startedAt: 0, endedAt: 40, retried: true },
      { jobId: 'a1', startedAt: 50, endedAt: 90, retried: false },
      { jobId: 'b1', startedAt: 0, endedAt: 30, retried: true },
      { jobId: 'b1', startedAt: 35, endedAt: 60, retried: false },
    ]);
  });
});
