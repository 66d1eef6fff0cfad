import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PACKAGER } from '../../helpers/gerrit-standin.js';
import { triggerFixture, update } from './fixture.js';

const TARGETS = ['kilo/epel-7', 'kilo/fedora-22'];

test('a new patch set is submitted to phase1 once, however often its event arrives and whatever the catch-up finds', async (t) => {
  const f = await triggerFixture(t);
  const u = update('fine', TARGETS);
  const events: Record<string, unknown>[] = [];
  f.gerrit.onEvent((e) => events.push(e));
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  for (let i = 0; i < 3; i++) f.trigger.accept(events[0]);
  await f.trigger.catchUp();
  await f.trigger.idle();
  const runs = await f.runsOf('abcd');
  assert.equal(runs.length, 1);
  assert.equal(f.submissions.length, 1);
  const s = f.submissions[0];
  assert.equal(s?.file, 'updates/abcd.yml');
  assert.equal(new TextDecoder().decode(s?.bytes), u.content);
  assert.deepEqual(s?.author, { name: PACKAGER.name, email: PACKAGER.email });
  assert.deepEqual(s?.gerrit, { project: f.gerrit.project, branch: 'master', change, patchset: 1, revision: f.gerrit.changes.get(change)?.patchsets[0]?.revision });
  assert.equal(runs[0]?.id, s?.runId);
  // A trigger started afresh (a restart) reads what was done from the store.
  const events2 = await f.store.listEvents({ runId: s?.runId });
  assert.equal(events2.filter((e) => e.kind === 'gerrit.request').length, 1);
});

test('a late event of an older patch set tests nothing, and a newer patch set cancels the run testing the older one', async (t) => {
  const f = await triggerFixture(t, { forward: false });
  const events: Record<string, unknown>[] = [];
  f.gerrit.onEvent((e) => events.push(e));
  const u = update('fine', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  f.gerrit.upload({ change, files: { 'updates/abcd.yml': { content: `${u.content}# v2\n` } }, subject: 'New abcd' });
  // Out of order: patch set 2's event first, then 1's.
  f.trigger.accept(events[1]);
  f.trigger.accept(events[0]);
  await f.trigger.idle();
  let runs = await f.runsOf('abcd');
  assert.equal(runs.length, 1);
  assert.equal(f.submissions[0]?.gerrit.patchset, 2);
  f.gerrit.onEvent((e) => f.trigger.accept(e));
  f.gerrit.upload({ change, files: { 'updates/abcd.yml': { content: `${u.content}# v3\n` } }, subject: 'New abcd' });
  await f.trigger.idle();
  runs = await f.runsOf('abcd');
  assert.equal(runs.length, 2);
  assert.equal(runs[0]?.verdict, 'cancelled');
  assert.equal((await f.store.listJobs(runs[0]?.id as string))[0]?.reason, 'superseded by patch set 3');
  assert.equal(runs[1]?.state, 'queued');
  // Abandoning the change cancels what still tests it.
  f.gerrit.abandon(change);
  await f.trigger.idle();
  assert.equal((await f.store.getRun(runs[1]?.id as string))?.verdict, 'cancelled');
});

test('a change touching two files gets one review saying so, with Verified -1, and no run', async (t) => {
  const f = await triggerFixture(t);
  const u = update('fine', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content }, 'updates/efgh.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  await f.trigger.idle();
  await f.trigger.catchUp();
  await f.trigger.idle();
  const reviews = f.gerrit.reviewsOf(change);
  assert.equal(reviews.length, 1);
  assert.deepEqual(reviews[0]?.labels, { Verified: -1 });
  assert.match(reviews[0]?.message ?? '', /^Sluice cannot test patch set 1 of this change:\n\n- a change must add or modify exactly one update file; this one touches 2: updates\/abcd.yml \(added\), updates\/efgh.yml \(added\)/);
  assert.equal(f.submissions.length, 0);
});

test('a wrong topic is reviewed, and fixing the topic (no new patch set) gets the change tested', async (t) => {
  const f = await triggerFixture(t);
  const u = update('fine', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: 'kilo_el7' });
  await f.trigger.idle();
  assert.match(f.gerrit.reviewsOf(change)[0]?.message ?? '', /the topic "kilo_el7" does not match the update: expected "kilo_epel-7_fedora-22"/);
  f.gerrit.setTopic(change, u.topic);
  await f.trigger.idle();
  assert.equal((await f.runsOf('abcd')).length, 1);
});

test('an update the configuration cannot plan is reviewed with the problem, positioned in the file', async (t) => {
  const f = await triggerFixture(t);
  const u = update('fine', ['juno/epel-7']);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  await f.trigger.idle();
  const review = f.gerrit.reviewsOf(change)[0];
  assert.deepEqual(review?.labels, { Verified: -1 });
  assert.match(review?.message ?? '', /- updates\/abcd.yml:\d+:\d+: error: .*juno/);
  assert.equal((await f.runsOf('abcd')).length, 0);
  // Reviewed once: a duplicate event and a catch-up leave it be.
  await f.trigger.catchUp();
  await f.trigger.idle();
  assert.equal(f.gerrit.reviewsOf(change).length, 1);
});

test('events of one change are handled in order, and never wait behind another change\'s', async (t) => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => { release = r; });
  const f = await triggerFixture(t, { beforeSubmit: (s) => (s.file === 'updates/slow.yml' ? held : Promise.resolve()) });
  const slow = update('slow', TARGETS);
  const fast = update('fast', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/slow.yml': { content: slow.content } }, subject: 'New slow', topic: slow.topic });
  // While the slow change's submission is held, its next patch set waits behind it...
  f.gerrit.upload({ change, files: { 'updates/slow.yml': { content: `${slow.content}# v2\n` } }, subject: 'New slow' });
  // ...and another change goes ahead.
  f.gerrit.upload({ files: { 'updates/fast.yml': { content: fast.content } }, subject: 'New fast', topic: fast.topic });
  const until = Date.now() + 5000;
  const slowHeld = () => f.submissions.some((s) => s.file === 'updates/slow.yml');
  while (((await f.runsOf('fast')).length === 0 || !slowHeld()) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await f.runsOf('fast')).length, 1, 'the other change went ahead');
  assert.deepEqual(f.submissions.filter((s) => s.file === 'updates/slow.yml').map((s) => s.gerrit.patchset), [2]);
  assert.equal((await f.runsOf('slow')).length, 0, 'the slow change is still held');
  release();
  await f.trigger.idle();
  // In order: patch set 2 was current when the first event was handled, so it was tested once.
  const runs = await f.runsOf('slow');
  assert.equal(runs.length, 1);
  assert.equal(f.submissions.filter((s) => s.file === 'updates/slow.yml').length, 1);
});
