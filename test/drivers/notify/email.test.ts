import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../../src/store/index.js';
import { tempDir } from '../../helpers/paths.js';
import { startSmtpReceiver } from '../../helpers/smtp-receiver.js';
import { ERROR_LINE, failedRun } from './finished-run.js';
import { notifyReporterFor, notifySection, WEB_URL } from './site.js';

const T0 = 1_700_000_000_000;
const ENV = { SLUICE_SMTP_USER: 'sluice', SLUICE_SMTP_PASSWORD: 'mail-secret' };

test('mails a failed run over STARTTLS with a login, its error lines and the link to its page', async (t) => {
  const dir = tempDir(t, 'sluice-notify-mail-');
  const smtp = await startSmtpReceiver(dir, { user: ENV.SLUICE_SMTP_USER, pass: ENV.SLUICE_SMTP_PASSWORD });
  t.after(() => smtp.close());
  const store = await openStore(`sqlite:${join(dir, 'sluice.db')}`);
  t.after(() => store.close());
  const section = notifySection({
    email: { host: '127.0.0.1', port: smtp.port, security: 'starttls', ca_file: smtp.caFile, from: 'sluice@example.org', user_env: 'SLUICE_SMTP_USER', password_env: 'SLUICE_SMTP_PASSWORD', timeout: '10s' },
    rules: [
      { name: 'kilo-packagers', pipelines: ['phase1'], targets: ['kilo/epel-7'], email: ['packagers@example.org'] },
      // Not told: a rule for passing runs, and one for a target that passed in this run.
      { name: 'green', verdicts: ['pass'], email: ['green@example.org'] },
      { name: 'el8-watchers', targets: ['kilo/epel-8'], email: ['el8@example.org'] },
    ],
  });
  const reporter = notifyReporterFor(section, store, ENV);
  const { run, jobs } = await failedRun(store, 'r-mail', T0);
  await reporter.report(run, jobs);
  await reporter.drain?.(new AbortController().signal);
  const [mail] = await smtp.waitFor(1);
  assert.ok(mail);
  assert.deepEqual(mail.to, ['packagers@example.org']);
  assert.equal(mail.from, 'sluice@example.org');
  assert.equal(mail.secure, true, 'the connection was upgraded with STARTTLS');
  assert.equal(mail.user, 'sluice', 'the login came from the environment');
  const unfolded = readable(mail.raw);
  assert.match(unfolded, /^Subject: \[sluice\] phase1 FAILED for nova/m);
  assert.ok(unfolded.includes(ERROR_LINE), 'the failed target\'s error line is in the mail');
  assert.ok(unfolded.includes(`${WEB_URL}runs/r-mail`), 'the mail links to the run\'s page');
  assert.ok(unfolded.includes('kilo/epel-7 failed: the test command exited with status 1'));
  const [row] = await store.listNotifications({ runId: 'r-mail' });
  assert.ok(row);
  assert.equal(smtp.mails.length, 1, 'only the matching rule was told');
  assert.match(unfolded, new RegExp(`^Message-ID: <${row.id}@example\\.org>`, 'mi'), 'the Message-ID is the delivery id');
  assert.deepEqual([row.rule, row.recipient, row.state, row.attempts], ['kilo-packagers', 'email:packagers@example.org', 'delivered', 1]);
  assert.match(row.history[0]?.detail ?? '', /^smtp 127\.0\.0\.1: 250/);
});

test('sends nothing to a server whose certificate is not trusted, and tries a refused login again later', async (t) => {
  const dir = tempDir(t, 'sluice-notify-mail-');
  const smtp = await startSmtpReceiver(dir, { user: 'sluice', pass: 'right' });
  t.after(() => smtp.close());
  const store = await openStore(`sqlite:${join(dir, 'sluice.db')}`);
  t.after(() => store.close());
  // No ca_file: the self-signed certificate is not trusted, so nothing is sent in the clear.
  const untrusted = notifySection({
    email: { host: '127.0.0.1', port: smtp.port, from: 'sluice@example.org', user_env: 'U', password_env: 'P', timeout: '10s' },
    rules: [{ name: 'team', email: ['team@example.org'] }],
  });
  const reporter = notifyReporterFor(untrusted, store, { U: 'sluice', P: 'right' });
  const { run, jobs } = await failedRun(store, 'r-untrusted', T0);
  await reporter.report(run, jobs);
  await reporter.drain?.(new AbortController().signal);
  const [row] = await store.listNotifications({ runId: 'r-untrusted' });
  assert.equal(smtp.mails.length, 0);
  assert.equal(row?.state, 'pending', 'a certificate problem may be fixed: tried again later');
  assert.match(row?.lastError ?? '', /certificate/i);
  // A wrong password is refused by the server; the delivery waits for the next attempt too.
  const wrong = notifyReporterFor(notifySection({
    email: { host: '127.0.0.1', port: smtp.port, ca_file: smtp.caFile, from: 'sluice@example.org', user_env: 'U', password_env: 'P', timeout: '10s' },
    rules: [{ name: 'team2', email: ['team@example.org'] }],
  }), store, { U: 'sluice', P: 'wrong' });
  await wrong.report(run, jobs);
  await wrong.drain?.(new AbortController().signal);
  const second = (await store.listNotifications({ runId: 'r-untrusted' })).find((n) => n.rule === 'team2');
  assert.equal(second?.state, 'pending');
  assert.match(second?.lastError ?? '', /EAUTH/);
  assert.equal(smtp.mails.length, 0);
});

/** The message as a person reads it: header lines unfolded, a quoted-printable body decoded. */
function readable(raw: string): string {
  const unfolded = raw.replace(/\r?\n[ \t]/g, ' ');
  if (!/^Content-Transfer-Encoding: quoted-printable/mi.test(unfolded)) return unfolded;
  const bytes = Buffer.from(unfolded.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  return bytes.toString('utf8');
}
