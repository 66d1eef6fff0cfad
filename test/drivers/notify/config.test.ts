import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../../src/drivers/registry.js';
import { ruleMatches } from '../../../src/drivers/notify/rules.js';
import { RuleSchema } from '../../../src/drivers/notify/config.js';
import type { Job, Run } from '../../../src/store/index.js';
import { phase1Run, phase2Run } from '../../helpers/run-records.js';

const BASE = `releases: [kilo]
dists: { epel-7: {}, epel-8: {} }
targets:
  kilo/epel-7: { repo: "https://example.org/kilo/el7/" }
  kilo/epel-8: { repo: "https://example.org/kilo/el8/" }
`;

function problems(notify: string): string[] {
  const r = parseConfigText(`${BASE}notify:\n${notify}`, 'sluice.yaml');
  return r.ok ? [] : r.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
}

describe('the notify section', () => {
  it('names the line and key of each rule that refers to nothing', () => {
    assert.deepEqual(problems(`  webhooks:
    chat: { url: "https://chat.example.org/h", secret_env: CHAT_SECRET }
  rules:
    - { name: a, webhooks: [chta] }
    - { name: a, email: [ops@example.org] }
    - { name: c }
`), [
      '10:29 notify.rules[0].webhooks[0]: no webhook named chta in notify.webhooks (chat)',
      '11:15 notify.rules[1].name: another rule is named a already',
      '11:25 notify.rules[1].email: email recipients need notify.email (the SMTP server)',
      '12:7 notify.rules[2]: a rule names at least one recipient (email or webhooks)',
    ]);
    // Targets are names of the rest of the file: checked once the section itself is right.
    assert.deepEqual(problems(`  webhooks: { chat: { url: "https://chat.example.org/h", secret_env: CHAT_SECRET } }
  rules:
    - { name: b, targets: [kilo/epel-7, kilo/epel-9], webhooks: [chat] }
`), ['9:41 notify.rules[0].targets[1]: target kilo/epel-9 is not in targets (kilo/epel-7, kilo/epel-8)']);
  });

  it('refuses a login over a connection that is not encrypted', () => {
    assert.deepEqual(problems(`  email: { host: 127.0.0.1, port: 25, security: none, from: sluice@example.org, user_env: U, password_env: P }
`), ['7:49 notify.email.security: security none would send the password in the clear: use starttls or tls, or no login (a relay on this host)']);
    assert.deepEqual(problems(`  email: { host: 127.0.0.1, port: 25, security: none, from: sluice@example.org }
`), []);
  });

  it('takes the names of environment variables, never a secret, and one address per recipient', () => {
    assert.deepEqual(problems(`  email: { host: smtp.example.org, from: "Sluice <sluice@example.org>", user_env: u, password_env: "hunter 2" }
  webhooks:
    chat: { url: "ftp://chat.example.org/h", secret_env: "s3cr3t!" }
  rules:
    - { name: a, email: ["a@example.org, b@example.org"] }
`), [
      '7:42 notify.email.from: notify.email.from must be one email address, e.g. release@example.org',
      '7:100 notify.email.password_env: notify.email.password_env is the name of an environment variable (letters, digits, _), not the secret itself',
      '9:18 notify.webhooks.chat.url: a webhook url must be an http or https URL',
      '9:58 notify.webhooks.chat.secret_env: secret_env is the name of an environment variable (letters, digits, _), not the secret itself',
      '11:26 notify.rules[0].email[0]: an email recipient must be one email address, e.g. release@example.org',
    ]);
  });
});

function job(target: string, result: Job['result']): Job {
  return {
    id: `j-${target}`, runId: 'r', target, kind: 'k', state: 'finished', result, reason: null, skipReason: null, attempt: 1, maxAttempts: 1, interruptions: 0,
    availableAt: 0, lockedBy: null, lockedUntil: null, node: null, logPath: null, liveLogPath: null, logOrigin: null, createdAt: 0, startedAt: 0, finishedAt: 1, spec: null,
  };
}

function run(pipeline: 'phase1' | 'phase2', verdict: Run['verdict']): Run {
  return { id: 'r', ...(pipeline === 'phase1' ? phase1Run() : phase2Run()), outcome: null, updateId: null, state: 'finished', verdict, createdAt: 0, startedAt: 0, finishedAt: 1, reason: null, reportedAt: null, controller: null, cancelRequestedAt: null } as Run;
}

describe('a rule', () => {
  const jobs = [job('kilo/epel-7', 'success'), job('kilo/epel-8', 'failure')];
  it('by default tells failed and errored runs of every pipeline', () => {
    const rule = RuleSchema.parse({ name: 'r', webhooks: ['chat'] });
    assert.equal(ruleMatches(rule, run('phase2', 'fail'), jobs), true);
    assert.equal(ruleMatches(rule, run('phase1', 'error'), jobs), true);
    assert.equal(ruleMatches(rule, run('phase1', 'pass'), jobs), false);
    assert.equal(ruleMatches(rule, run('phase1', 'cancelled'), jobs), false);
  });
  it('keeps to its pipelines and verdicts', () => {
    const rule = RuleSchema.parse({ name: 'r', pipelines: ['phase2'], verdicts: ['pass', 'held'], webhooks: ['chat'] });
    assert.equal(ruleMatches(rule, run('phase2', 'pass'), jobs), true);
    assert.equal(ruleMatches(rule, run('phase1', 'pass'), jobs), false);
    assert.equal(ruleMatches(rule, run('phase2', 'fail'), jobs), false);
  });
  it('with targets, tells a failed run only when one of its targets failed, and another run when it ran there', () => {
    const el7 = RuleSchema.parse({ name: 'r', targets: ['kilo/epel-7'], verdicts: ['fail', 'pass'], webhooks: ['chat'] });
    const el8 = RuleSchema.parse({ name: 'r', targets: ['kilo/epel-8'], webhooks: ['chat'] });
    assert.equal(ruleMatches(el7, run('phase1', 'fail'), jobs), false, 'el7 passed: not its failure');
    assert.equal(ruleMatches(el8, run('phase1', 'fail'), jobs), true);
    assert.equal(ruleMatches(el7, run('phase1', 'pass'), [job('kilo/epel-7', 'success')]), true);
    assert.equal(ruleMatches(el7, run('phase1', 'pass'), [job('kilo/epel-8', 'success')]), false);
  });
});
