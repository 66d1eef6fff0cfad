import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gerritReporter } from '../../../src/drivers/gerrit/reporter.js';
import { localProvider } from '../../../src/drivers/providers/local/local-provider.js';
import { Engine } from '../../../src/engine/engine.js';
import { mergeReporter } from '../../../src/pipelines/phase1/merge-reporter.js';
import { PACKAGER } from '../../helpers/gerrit-standin.js';
import { until } from '../../helpers/fault-serve.js';
import { triggerFixture, update, type TriggerFixture } from './fixture.js';

const TARGETS = ['kilo/epel-7', 'kilo/fedora-22'];
const LABELS = { Verified: { pass: 1, fail: -1 } };

/** Waits for a value, up to 30 s (the shared poller of test/helpers). */
const waitFor = <T>(what: string, get: () => T | undefined | Promise<T | undefined>): Promise<T> => until(what, async () => get(), 30_000, () => '');

/** The trigger fixture with a real engine: local nodes run the site's smoke test, Gerrit's reporter votes, the merge reporter merges. */
async function withEngine(t: TestContext): Promise<{ f: TriggerFixture; engine: Engine }> {
  const f = await triggerFixture(t);
  const engine = new Engine({
    store: f.store, workerId: 'waiver-test', leaseMs: 2000, pollMs: 50, sweepEveryMs: 100, retryBackoffMs: 50,
    providers: [localProvider({ name: 'local', capacity: 3, workDir: join(f.site.dir, 'work'), configDir: f.site.dir, killGraceMs: 300 })],
    reporters: [mergeReporter({ repoPath: f.site.repoPath }), gerritReporter({ rest: f.rest, store: f.store, labels: LABELS, submit: false })],
  });
  engine.start();
  t.after(() => engine.stop());
  return { f, engine };
}

const sluiceReviews = (f: TriggerFixture, change: number) => f.gerrit.reviewsOf(change).filter((r) => r.message.startsWith('Sluice phase1:'));

test('a waiver turns a failed change to a pass: its run is reported again with +1, naming the waiver, and merged once', { timeout: 60_000 }, async (t) => {
  const { f, engine } = await withEngine(t);
  const u = update('fail on kilo/fedora-22', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  await f.trigger.idle();
  engine.notify();
  const first = await waitFor('the -1', () => sluiceReviews(f, change)[0]);
  assert.deepEqual(first.labels, { Verified: -1 });
  const [run] = await f.runsOf('abcd');
  assert.ok(run);

  // Gerrit is down when the new verdict is first reported: the run stays owed and is reported once, later.
  f.gerrit.failNext('POST', '/review', 503, 3);
  const added = await f.store.addWaiver({ runId: run.id, target: 'kilo/fedora-22', test: null, reason: 'the f22 mirror is broken, not the update', by: 'rm', now: Date.now(), expiresAt: Date.now() + 86_400_000 });
  assert.ok(added.ok && added.recollated?.verdict === 'pass');
  engine.notify();
  const second = await waitFor('the new verdict', () => sluiceReviews(f, change)[1]);
  assert.deepEqual(second.labels, { Verified: 1 });
  const lines = second.message.split('\n');
  assert.match(lines[0] ?? '', /^Sluice phase1: PASSED - passed on kilo\/epel-7; waived failure on kilo\/fedora-22 \(by rm: the f22 mirror is broken, not the update/);
  assert.ok(lines.some((l) => l.startsWith('- kilo/fedora-22: failure - the test command exited with status 1 - WAIVED by rm: the f22 mirror is broken') && l.includes(`(waiver ${added.waiver.id})`)), second.message);
  assert.equal(lines.at(-1), `(sluice run ${run.id}, verdict 1)`);
  await waitFor('the report mark', async () => ((await f.store.getRun(run.id))?.reportedAt ? true : undefined));
  const merged = execFileSync('git', ['-C', f.site.repoPath, 'log', '--format=%B', '-1', '--', 'updates/abcd.yml'], { encoding: 'utf8' });
  assert.match(merged, new RegExp(`Sluice-Run: ${run.id}`));

  // Reporting again (a restart) posts and merges nothing twice.
  const again = gerritReporter({ rest: f.rest, store: f.store, labels: LABELS, submit: false });
  const now = await f.store.getRun(run.id);
  assert.ok(now);
  await again.report(now, await f.store.listJobs(run.id));
  assert.equal(sluiceReviews(f, change).length, 2);
});

test('"recheck failed" on a change reruns only the failed target and its vote collates the carried pass', { timeout: 60_000 }, async (t) => {
  const { f, engine } = await withEngine(t);
  const u = update('fail on kilo/fedora-22', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  await f.trigger.idle();
  engine.notify();
  await waitFor('the first review', () => sluiceReviews(f, change)[0]);
  const [first] = await f.runsOf('abcd');
  assert.ok(first);

  f.gerrit.comment(change, PACKAGER, 'recheck failed');
  await f.trigger.idle();
  engine.notify();
  const second = await waitFor('the review of the recheck', () => sluiceReviews(f, change)[1]);
  const runs = await f.runsOf('abcd');
  assert.equal(runs.length, 2);
  const recheck = runs[1];
  assert.ok(recheck?.pipeline === 'phase1' && recheck.inputs.onlyFailed && recheck.inputs.rerunOf === first.id);
  const jobs = await f.store.listJobs(recheck.id);
  const epel = jobs.find((j) => j.target === 'kilo/epel-7');
  assert.equal(epel?.carriedFrom, `${first.id}.kilo_epel-7`);
  assert.equal(epel?.attempt, 0, 'the passed target did not run again');
  assert.equal(jobs.find((j) => j.target === 'kilo/fedora-22')?.attempt, 1);
  assert.deepEqual(second.labels, { Verified: -1 });
  assert.ok(second.message.split('\n').includes(`- kilo/epel-7: success - passed in run ${first.id}`), second.message);

  // A recheck failed of content never tested is refused with a reply, no vote, once.
  const other = update('fine', TARGETS);
  f.gerrit.upload({ change, files: { 'updates/abcd.yml': { content: other.content } }, subject: 'New abcd', silent: true });
  f.gerrit.comment(change, PACKAGER, 'recheck failed');
  await f.trigger.idle();
  const reply = f.gerrit.reviewsOf(change).at(-1);
  assert.match(reply?.message ?? '', /^Sluice: recheck failed: no phase1 run of this content of abcd yet: comment "recheck"/);
  assert.equal(reply?.labels, undefined);
  await f.trigger.catchUp();
  await f.trigger.idle();
  assert.equal(f.gerrit.reviewsOf(change).filter((r) => r.message.startsWith('Sluice: recheck failed')).length, 1);
});
