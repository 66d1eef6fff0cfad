import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inline, MAX_COMMENT_CHARS, rejectionComment, runComment, runMarker, type JobExcerpt } from '../../../src/drivers/gerrit/comment.js';
import type { Job, Run } from '../../../src/store/index.js';
import { phase1Run } from '../../helpers/run-records.js';

function run(verdict: Run['verdict'], reason: string | null = null): Run {
  return { id: 'r1abc', pipeline: 'phase1', updateId: 'abcd', state: 'finished', verdict, createdAt: 0, startedAt: 0, finishedAt: 1, inputs: phase1Run('abcd').inputs, reason, reportedAt: null, controller: null, outcome: null, cancelRequestedAt: null };
}

function job(target: string, result: Job['result'], extra: Partial<Job> = {}): Job {
  return ({
    id: `r1abc.${target.replace('/', '_')}`, runId: 'r1abc', target, kind: 'phase1/image@local', state: 'finished', result, reason: null, skipReason: null, attempt: 1, maxAttempts: 3,
    availableAt: 0, lockedBy: null, lockedUntil: null, node: null, logPath: null, createdAt: 0, startedAt: 0, finishedAt: 1, spec: null, excerpt: null, ...extra,
  } as Job);
}

const url = (j: Job) => `https://sluice.example.org/jobs/${j.id}/log`;

test('a failure shows the matrix, skipped targets with their reasons, the failing target\'s error lines and one link', () => {
  const jobs = [
    job('kilo/epel-7', 'success'),
    job('kilo/fedora-22', 'failure', { reason: 'exit status 1' }),
    job('liberty/epel-7', 'skipped', { skipReason: 'disabled: mirror down (by ops)' }),
  ];
  const excerpts = new Map<string, JobExcerpt>([['r1abc.kilo_fedora-22', { heading: 'log lines 3-4 of 9:', lines: ['3 > Error: Package: broken on kilo/fedora-22', '4 |   Requires: python-foo'] }]]);
  const text = runComment({ run: run('fail', '1 of 2 targets failed'), jobs, excerpts, jobUrl: url });
  assert.equal(text, [
    'Sluice phase1: FAILED - 1 of 2 targets failed',
    '',
    'Targets (2 tested, 1 skipped):',
    '- kilo/epel-7: success',
    '- kilo/fedora-22: failure - exit status 1',
    '- liberty/epel-7: skipped - disabled: mirror down (by ops)',
    '',
    'kilo/fedora-22 failed: exit status 1',
    'log lines 3-4 of 9:',
    '    3 > Error: Package: broken on kilo/fedora-22',
    '    4 |   Requires: python-foo',
    'Log: https://sluice.example.org/jobs/r1abc.kilo_fedora-22/log',
    '',
    'Fix the update and upload a new patch set; comment "recheck" to test this one again.',
    '(sluice run r1abc)',
  ].join('\n'));
  assert.ok(text.endsWith(runMarker('r1abc')));
});

test('an infra error asks for a recheck and blames nobody', () => {
  const text = runComment({ run: run('error', 'kilo/epel-7 had no verdict after its infra retries'), jobs: [job('kilo/epel-7', 'infra', { reason: 'node lost' })], excerpts: new Map(), jobUrl: () => undefined });
  assert.match(text, /^Sluice phase1: ERROR/);
  assert.match(text, /not the update's fault: the test infrastructure failed\. Comment "recheck"/);
  assert.match(text, /- kilo\/epel-7: infra - node lost \(not the update's fault: recheck\)/);
  assert.match(text, /Log: sluice logs r1abc\.kilo_epel-7/);
  assert.doesNotMatch(text, /Fix the update/);
});

test('hostile log lines and reasons cannot forge structure, hide text, or command Sluice', () => {
  const hostile = [
    'recheck',
    '> Verified+1 looks good',
    '- kilo/epel-7: success',
    '<script>alert(1)</script> [x](javascript:alert(1)) **bold**',
    'evil\u202Eoverride\u2066isolate\u200Bzero\u0007bell\u001b[31mred\u0000nul',
    'x'.repeat(5000),
  ];
  const jobs = [job('kilo/epel-7', 'failure', { reason: 'exit 1\n\nrecheck\n> quoted\u202E' })];
  const text = runComment({ run: run('fail'), jobs, excerpts: new Map([['r1abc.kilo_epel-7', { lines: hostile }]]), jobUrl: url });
  const lines = text.split('\n');
  // Every log line is preformatted (four spaces), which neither renderer interprets...
  for (const h of hostile.slice(0, 4)) assert.ok(lines.includes(`    ${h}`), h);
  // ...and nothing outside a preformatted block looks like a quote, a forged matrix line or a command.
  const plain = lines.filter((l) => !l.startsWith('    '));
  assert.ok(plain.every((l) => !l.startsWith('>') && l !== 'recheck' && l !== '- kilo/epel-7: success'), plain.join('\n'));
  for (const hidden of ['\u202E', '\u2066', '\u200B', '\u0007', '\u0000', '\u001b']) assert.ok(!text.includes(hidden), `U+${hidden.charCodeAt(0).toString(16)} was let through`);
  assert.ok(lines.every((l) => l.length <= 310), 'lines are bounded');
  // The reason became one line.
  assert.ok(lines.includes('- kilo/epel-7: failure - exit 1  recheck > quoted'));
});

test('a comment stays under Gerrit\'s size limit however many targets fail with long excerpts', () => {
  const jobs = Array.from({ length: 40 }, (_, i) => job(`rel${i}/epel-7`, 'failure', { reason: 'exit status 1' }));
  const excerpts = new Map(jobs.map((j) => [j.id, { heading: 'log lines 1-15 of 99999:', lines: Array.from({ length: 40 }, (_, k) => `${k} > ${'E'.repeat(190)}`) }] as const));
  const text = runComment({ run: run('fail'), jobs, excerpts, jobUrl: url });
  assert.ok(text.length <= MAX_COMMENT_CHARS, `${text.length} chars`);
  assert.match(text, /\(25 more lines on the log page\)/);
  assert.match(text, /more failures left out|the error lines did not fit/);
  assert.ok(text.endsWith('(sluice run r1abc)'));
});

test('a change that cannot be tested is told why, each reason on one line', () => {
  const text = rejectionComment(2, ['a change must add or modify exactly one update file; this one touches 2: updates/a.yml (added), updates/b.yml (added)', 'multi\nline']);
  assert.equal(text, [
    'Sluice cannot test patch set 2 of this change:',
    '',
    '- a change must add or modify exactly one update file; this one touches 2: updates/a.yml (added), updates/b.yml (added)',
    '- multi line',
    '',
    'Upload a fixed patch set; after changing only the topic, comment "recheck".',
  ].join('\n'));
  assert.equal(inline('a\tb\r\nc'), 'a b c');
});
