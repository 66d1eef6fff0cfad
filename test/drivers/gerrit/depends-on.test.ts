import assert from 'node:assert/strict';
import { test } from 'node:test';
import { triggerFixture, update } from './fixture.js';

const TARGETS = ['kilo/epel-7'];

// Zuul's Depends-On, as its documentation writes it: a footer of the commit message naming
// the change by URL (https://zuul-ci.org/docs/zuul/latest/gating.html#cross-project-dependencies).
test('a Depends-On footer naming a change Sluice tested, or an update id, tests the update with it; an unknown one is reviewed', async (t) => {
  const f = await triggerFixture(t);
  const u = update('fine', TARGETS);
  const { change: first } = f.gerrit.upload({ files: { 'updates/hz8d.yml': { content: u.content } }, subject: 'New hz8d', topic: u.topic });
  await f.trigger.idle();
  const { change: second } = f.gerrit.upload({
    files: { 'updates/nv4a.yml': { content: u.content } }, subject: 'New nv4a', topic: u.topic,
    body: `Nova needs hz8d's oslo.concurrency.\n\nDepends-On: ${f.gerrit.url}c/${f.gerrit.project}/+/${first}\n`,
  });
  await f.trigger.idle();
  assert.deepEqual(f.submissions[1]?.dependsOn, [{ ref: `${f.gerrit.url}c/${f.gerrit.project}/+/${first}`, why: `Depends-On in change ${second}` }]);
  const [run] = await f.runsOf('nv4a');
  assert.ok(run?.pipeline === 'phase1');
  assert.deepEqual(run.inputs.testedWith?.map((w) => [w.id, w.how, w.why]), [['hz8d', 'declared', `Depends-On in change ${second}`]]);
  assert.deepEqual((await f.store.listDependencies(['nv4a'])).map((d) => d.dependsOn), ['hz8d']);

  // By update id too; an id nobody submitted gets a review naming it, and no run.
  const { change: third } = f.gerrit.upload({ files: { 'updates/k2x9.yml': { content: u.content } }, subject: 'New k2x9', topic: u.topic, body: 'Depends-On: hz8d\nDepends-On: zz99\n' });
  await f.trigger.idle();
  assert.deepEqual(await f.runsOf('k2x9'), []);
  const review = f.gerrit.reviewsOf(third)[0];
  assert.deepEqual(review?.labels, { Verified: -1 });
  assert.match(review?.message ?? '', /- updates\/k2x9\.yml:1:1: error: zz99: no update zz99 is known \(not submitted, not in updates\/ or ready\/\) \(declared by Depends-On in change \d+\)/);
});
