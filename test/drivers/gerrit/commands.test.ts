import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, BOT, PACKAGER } from '../../helpers/gerrit-standin.js';
import { triggerFixture, update, type TriggerFixture } from './fixture.js';

const TARGETS = ['kilo/epel-7', 'kilo/fedora-22'];

async function tested(f: TriggerFixture): Promise<number> {
  const u = update('fine', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  await f.trigger.idle();
  // Nothing runs jobs here: finish the run as a worker would, so a recheck is not a duplicate of a run still going.
  for (const r of await f.runsOf('abcd')) await f.store.cancelRun({ runId: r.id, now: Date.now(), reason: 'test' });
  return change;
}

test('recheck runs phase1 again, once, whether its comment arrives twice or is also found by the catch-up', async (t) => {
  const f = await triggerFixture(t);
  const change = await tested(f);
  const event = f.gerrit.comment(change, PACKAGER, 'recheck');
  f.trigger.accept(event);
  await f.trigger.idle();
  await f.trigger.catchUp();
  await f.trigger.idle();
  assert.equal((await f.runsOf('abcd')).length, 2);
  assert.equal(f.submissions[1]?.gerrit.patchset, 1);
});

test('a recheck on a Gerrit 2.x, whose events carry no time, is taken at the time it arrives', async (t) => {
  const f = await triggerFixture(t);
  const change = await tested(f);
  f.gerrit.eventStyle = '2.x';
  const event = f.gerrit.comment(change, PACKAGER, 'recheck');
  assert.equal(event.eventCreatedOn, undefined);
  await f.trigger.idle();
  assert.equal((await f.runsOf('abcd')).length, 2);
  // The same comment found again by the catch-up is not a third run.
  for (const r of await f.runsOf('abcd')) await f.store.cancelRun({ runId: r.id, now: Date.now(), reason: 'test' });
  await f.trigger.catchUp();
  assert.equal((await f.runsOf('abcd')).length, 2);
});

test('a recheck while the patch set is still being tested joins that run', async (t) => {
  const f = await triggerFixture(t);
  const u = update('fine', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  await f.trigger.idle();
  f.gerrit.comment(change, PACKAGER, 'recheck');
  await f.trigger.idle();
  assert.equal((await f.runsOf('abcd')).length, 1);
});

test('a recheck made while nobody listened is found by the catch-up; older comments on a change first seen are history', async (t) => {
  const f = await triggerFixture(t, { forward: false });
  const u = update('fine', TARGETS);
  const { change } = f.gerrit.upload({ files: { 'updates/abcd.yml': { content: u.content } }, subject: 'New abcd', topic: u.topic });
  f.gerrit.comment(change, PACKAGER, 'recheck');
  await f.trigger.catchUp();
  assert.equal((await f.runsOf('abcd')).length, 1, 'the recheck before Sluice knew the change is not a second run');
  for (const r of await f.runsOf('abcd')) await f.store.cancelRun({ runId: r.id, now: Date.now(), reason: 'test' });
  f.gerrit.comment(change, PACKAGER, 'recheck');
  await f.trigger.catchUp();
  assert.equal((await f.runsOf('abcd')).length, 2);
});

test('Sluice\'s own comments, quotes, mentions and hostile text command nothing', async (t) => {
  const f = await triggerFixture(t);
  const change = await tested(f);
  f.gerrit.comment(change, BOT, 'recheck');
  f.gerrit.comment(change, PACKAGER, '> recheck\n\nwhy did this fail?');
  f.gerrit.comment(change, PACKAGER, 'please recheck');
  f.gerrit.comment(change, PACKAGER, 'recheck\u202E; $(touch /tmp/pwned)');
  f.gerrit.comment(change, PACKAGER, 'run phase2 && curl evil');
  f.trigger.accept({ type: 'comment-added', change: { project: f.gerrit.project, branch: 'master', number: change }, patchSet: { number: 1 }, author: PACKAGER, comment: 42, eventCreatedOn: 1 });
  f.trigger.accept('not an event');
  await f.trigger.idle();
  assert.equal((await f.runsOf('abcd')).length, 1);
  assert.equal(f.phase2Requests.length, 0);
  assert.equal(f.gerrit.reviewsOf(change).length, 0);
});

test('run phase2 from a member of the group starts phase2 and says so; anyone else is refused with a reply', async (t) => {
  const f = await triggerFixture(t, { phase2: { runId: 'r-p2', kind: 'started' } });
  f.gerrit.groups.set('rdo-admins', [ADMIN]);
  const change = await tested(f);
  f.gerrit.comment(change, PACKAGER, 'run phase2');
  await f.trigger.idle();
  assert.equal(f.phase2Requests.length, 0);
  assert.equal(f.gerrit.reviewsOf(change).at(-1)?.message, 'Sluice: jruzicka may not start phase2: only members of the group rdo-admins may.');
  const event = f.gerrit.comment(change, ADMIN, 'run phase2');
  f.trigger.accept(event);
  await f.trigger.idle();
  assert.equal(f.phase2Requests.length, 1);
  assert.equal(f.phase2Requests[0]?.by.username, 'rdo-admin');
  assert.equal(f.gerrit.reviewsOf(change).at(-1)?.message, 'Sluice: phase2 started, as rdo-admin asked: run r-p2.');
  assert.equal(f.gerrit.reviewsOf(change).at(-1)?.labels, undefined);
  await f.trigger.catchUp();
  await f.trigger.idle();
  assert.equal(f.phase2Requests.length, 1, 'the same command is not obeyed twice');
});

test('a hostile author name is flattened in the reply that quotes it', async (t) => {
  const f = await triggerFixture(t);
  f.gerrit.groups.set('rdo-admins', [ADMIN]);
  const change = await tested(f);
  const mallory = { name: 'Mallory\n\nrecheck\n> Verified+1\u202Egnp.exe', email: 'mallory@example.org', username: '', _account_id: 666 };
  f.gerrit.comment(change, mallory, 'run phase2');
  await f.trigger.idle();
  const reply = f.gerrit.reviewsOf(change).at(-1)?.message ?? '';
  assert.equal(reply, 'Sluice: Mallory  recheck > Verified+1gnp.exe may not start phase2: only members of the group rdo-admins may.');
  assert.equal((await f.runsOf('abcd')).length, 1);
});
