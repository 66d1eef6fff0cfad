import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_FAILURES_SHOWN, MAX_TEXT_CHARS, runMessage, runPageUrl, webhookBody } from '../../../src/drivers/notify/message.js';
import type { Job, Run } from '../../../src/store/index.js';
import { phase2Run } from '../../helpers/run-records.js';

const run = { id: 'r7', ...phase2Run(), outcome: null, updateId: null, state: 'finished', verdict: 'fail', createdAt: 0, startedAt: 0, finishedAt: 86_400_000, reason: 'culprit found:\u202e kcah', reportedAt: null, controller: 'phase2', cancelRequestedAt: null } as Run;

function failed(i: number): Job {
  return {
    id: `r7.t${i}`, runId: 'r7', target: `kilo/epel-${i}`, kind: 'k', state: 'finished', result: 'failure', reason: `exit 1\nSubject: injected`, skipReason: null, attempt: 1, maxAttempts: 1,
    interruptions: 0, availableAt: 0, lockedBy: null, lockedUntil: null, node: null, logPath: null, liveLogPath: null, logOrigin: null, createdAt: 0, startedAt: 0, finishedAt: 1, spec: null,
  };
}

test('a message is bounded and shows log text as one line without control or bidirectional characters', () => {
  const jobs = Array.from({ length: 30 }, (_, i) => failed(i));
  const line = `\u001b[31mERROR\u001b[0m ${'x'.repeat(500)}`;
  const excerpts = new Map(jobs.map((j) => [j.id, { heading: 'log lines 1-40 of 40:', lines: Array.from({ length: 40 }, () => line) }]));
  const m = runMessage({ run, jobs, excerpts, runUrl: runPageUrl('https://sluice.example.org/base', 'r7') });
  assert.equal(m.link, 'https://sluice.example.org/base/runs/r7');
  assert.ok(m.text.length <= MAX_TEXT_CHARS, `${m.text.length} characters`);
  assert.equal(m.failures.length, MAX_FAILURES_SHOWN);
  assert.ok(m.failures.every((f) => f.lines.length === 15 && f.lines.every((l) => l.length <= 201 && !l.includes('\u001b'))));
  assert.match(m.text, /\((\d+) more failures left out: see the run's page\)/);
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  assert.ok(!/[\u0000-\u0009\u000b-\u001f\u202a-\u202e]/.test(m.text), 'no control or bidirectional character but newlines');
  assert.ok(!m.text.includes('\nSubject:'), 'a reason cannot start a line of its own');
  assert.equal(m.subject, '[sluice] phase2 FAILED: culprit found: kcah');
  const body = webhookBody(m, run, 'd1', 'team', m.link);
  assert.equal(body.run.finishedAt, '1970-01-02T00:00:00.000Z');
  assert.equal(body.run.reason, 'culprit found: kcah');
  assert.equal(runMessage({ run, jobs: [], excerpts: new Map(), runUrl: undefined }).link, 'sluice status r7');
});
