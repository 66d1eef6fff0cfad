import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertEventLoopHeldUnder, NESTED_MIB } from '../../helpers/event-loop.js';
import { startWebhook, WEBHOOK_PATH } from '../../../src/drivers/gerrit/webhook.js';
import { triggerFixture, update } from './fixture.js';

test('a 1 MiB nested update file on a change is reviewed with its position, holding the event loop well under 100 ms', async (t) => {
  const f = await triggerFixture(t, { forward: false });
  const events: Record<string, unknown>[] = [];
  f.gerrit.onEvent((e) => events.push(e));
  // A first change loads and warms what every change goes through: that cost is not the file's.
  const fine = update('fine', ['kilo/epel-7']);
  f.gerrit.upload({ files: { 'updates/fine.yml': { content: fine.content } }, subject: 'New fine', topic: fine.topic });
  f.trigger.accept(events[0]);
  await f.trigger.idle();
  // Each try is a change of its own (a change is reviewed once), uploaded before the measure;
  // the stand-in answers in this process, so its serving of the file counts too.
  const changes = [1, 2, 3].map(() => f.gerrit.upload({ files: { 'updates/deep.yml': { content: `notes: x\nbuilds: ${NESTED_MIB}` } }, subject: 'New deep', topic: fine.topic }).change);
  const change = await assertEventLoopHeldUnder(100, async (attempt) => {
    f.trigger.accept(events[attempt + 1]);
    await f.trigger.idle();
    return changes[attempt];
  });
  const review = f.gerrit.reviewsOf(change as number)[0];
  assert.deepEqual(review?.labels, { Verified: -1 });
  assert.match(review?.message ?? '', /- updates\/deep\.yml:2:72: error: collections nest more than 64 levels deep here/);
  assert.equal((await f.runsOf('deep')).length, 0);
});

test('a webhook body of nested JSON is answered 400 unparsed, and no event reaches the trigger', async () => {
  const events: unknown[] = [];
  const hook = await startWebhook({ listen: '127.0.0.1:0', secret: 'webhook-secret-0123', onEvent: (raw) => events.push(raw) });
  try {
    const url = `http://127.0.0.1:${hook.port}${WEBHOOK_PATH}?secret=webhook-secret-0123`;
    const deep = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '['.repeat(100_000) + ']'.repeat(100_000) });
    assert.equal(deep.status, 400);
    assert.match(await deep.text(), /JSON nests more than 64 levels deep at character 65/);
    const fine = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'ref-updated' }) });
    assert.equal(fine.status, 204);
    assert.deepEqual(events, [{ type: 'ref-updated' }]);
  } finally {
    await hook.stop();
  }
});
