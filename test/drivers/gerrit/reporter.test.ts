import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { gerritReporter } from '../../../src/drivers/gerrit/reporter.js';
import type { Job, Run } from '../../../src/store/index.js';
import { PACKAGER } from '../../helpers/gerrit-standin.js';
import { triggerFixture, update, type TriggerFixture } from './fixture.js';

const TARGETS = ['kilo/epel-7', 'kilo/fedora-22'];

/** A change tested by the trigger, with its run given `verdict` and its jobs `results`, as a worker would leave them. */
async function finished(t: TestContext, verdict: Run['verdict'], results: Job['result'][]): Promise<{ f: TriggerFixture; change: number; run: Run; jobs: Job[] }> {
  const f = await triggerFixture(t);
  const u = update('fine', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  await f.trigger.idle();
  const [stored] = await f.runsOf('abcd');
  assert.ok(stored);
  const jobs = (await f.store.listJobs(stored.id)).map((j, i) => ({ ...j, state: 'finished' as const, result: results[i] ?? 'success', reason: results[i] === 'infra' ? 'the node could not be provisioned' : null }));
  return { f, change, run: { ...stored, state: 'finished', verdict }, jobs };
}

test('a pass that Gerrit refuses to submit gets a comment saying why, once', async (t) => {
  const { f, change, run, jobs } = await finished(t, 'pass', ['success', 'success']);
  f.gerrit.submitRefusals.set(change, 'Change 1: submit requirement Code-Review is not fulfilled');
  const reporter = gerritReporter({ rest: f.rest, store: f.store, labels: { Verified: { pass: 1, fail: -1 }, 'Sluice-Verified': { pass: 2, fail: -2 } }, submit: true });
  await reporter.report(run, jobs);
  await reporter.report(run, jobs);
  const reviews = f.gerrit.reviewsOf(change);
  assert.equal(reviews.length, 2);
  assert.deepEqual(reviews[0]?.labels, { Verified: 1, 'Sluice-Verified': 2 });
  assert.match(reviews[1]?.message ?? '', /^Sluice: phase1 passed, but Gerrit refused to submit the change \(HTTP 409\): Change 1: submit requirement Code-Review is not fulfilled/);
  assert.equal(reviews[1]?.labels, undefined);
  assert.deepEqual(f.gerrit.submits, []);
});

test('an infra error votes 0 and asks for a recheck', async (t) => {
  const { f, change, run, jobs } = await finished(t, 'error', ['success', 'infra']);
  await gerritReporter({ rest: f.rest, store: f.store, labels: { Verified: { pass: 1, fail: -1 } }, submit: true }).report(run, jobs);
  const [review] = f.gerrit.reviewsOf(change);
  assert.deepEqual(review?.labels, { Verified: 0 });
  assert.match(review?.message ?? '', /^Sluice phase1: ERROR/);
  assert.match(review?.message ?? '', /- kilo\/fedora-22: infra - the node could not be provisioned \(not the update's fault: recheck\)/);
  assert.deepEqual(f.gerrit.submits, []);
});

test('a run of a superseded patch set is commented on without a vote, and one cancelled for it says nothing', async (t) => {
  const { f, change, run, jobs } = await finished(t, 'fail', ['success', 'failure']);
  f.gerrit.upload({ change, files: { 'updates/abcd.yml': { content: update('v2', TARGETS).content } }, subject: 'New abcd', silent: true });
  const reporter = gerritReporter({ rest: f.rest, store: f.store, labels: { Verified: { pass: 1, fail: -1 } }, submit: true });
  await reporter.report({ ...run, verdict: 'cancelled' }, jobs);
  assert.equal(f.gerrit.reviewsOf(change).length, 0);
  await reporter.report(run, jobs);
  const [review] = f.gerrit.reviewsOf(change);
  assert.equal(review?.patchset, 1);
  assert.equal(review?.labels, undefined);
  assert.match(review?.message ?? '', /^Sluice phase1: FAILED/);
});

test('Gerrit unavailable: the report fails (the outbox retries it) and succeeds later without a duplicate', async (t) => {
  const { f, change, run, jobs } = await finished(t, 'fail', ['success', 'failure']);
  const reporter = gerritReporter({ rest: f.rest, store: f.store, labels: { Verified: { pass: 1, fail: -1 } }, submit: false });
  f.gerrit.failNext('POST', '/review', 503, 3);
  await assert.rejects(reporter.report(run, jobs), /HTTP 503/);
  await reporter.report(run, jobs);
  await reporter.report(run, jobs);
  assert.equal(f.gerrit.reviewsOf(change).length, 1);
  // A run Sluice started from `sluice submit` (no Gerrit change) is none of this reporter's business.
  await reporter.report({ ...run, id: 'r-local' }, jobs);
  assert.equal(f.gerrit.reviews.length, 1);
  assert.equal(f.gerrit.changes.get(change)?.owner.username, PACKAGER.username);
});
