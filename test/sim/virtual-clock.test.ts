import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../src/sim/virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers in time order, timers of one instant in the order they were set', async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    const at = (ms: number, name: string) => clock.sleep(ms).then(() => fired.push(`${name}@${clock.now()}`));
    const all = Promise.all([at(300, 'c'), at(100, 'a'), at(300, 'd'), at(200, 'b')]);
    await clock.runUntil(all);
    assert.deepEqual(fired, ['a@1100', 'b@1200', 'c@1300', 'd@1300']);
    assert.equal(clock.pending, 0);
  });

  it('resolves an aborted sleep at once, without moving time, and forgets its timer', async () => {
    const clock = new VirtualClock(0);
    const ac = new AbortController();
    const sleeping = clock.sleep(60_000, ac.signal);
    assert.equal(clock.pending, 1);
    ac.abort();
    await sleeping;
    assert.equal(clock.pending, 0);
    assert.equal(clock.now(), 0);
    await clock.sleep(5, ac.signal);
    assert.equal(clock.pending, 0, 'a sleep on an aborted signal sets no timer');
  });

  it('waits for async chains (microtasks and immediates) to go idle before it moves time', async () => {
    const clock = new VirtualClock(0);
    const log: string[] = [];
    const chain = (async () => {
      for (let i = 0; i < 50; i++) await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      log.push(`late sleep set at ${clock.now()}`);
      await clock.sleep(10);
      log.push(`woke at ${clock.now()}`);
    })();
    const early = clock.sleep(100).then(() => log.push(`early timer at ${clock.now()}`));
    await clock.runUntil(Promise.all([chain, early]));
    assert.deepEqual(log, ['late sleep set at 0', 'woke at 10', 'early timer at 100']);
  });

  it('advance fires what falls due and leaves the clock exactly later', async () => {
    const clock = new VirtualClock(0);
    let woke = -1;
    void clock.sleep(30).then(() => { woke = clock.now(); });
    void clock.sleep(500);
    await clock.advance(100);
    assert.equal(woke, 30);
    assert.equal(clock.now(), 100);
    assert.equal(clock.pending, 1);
  });

  it('says so when the work can never finish: idle, nothing scheduled', async () => {
    const clock = new VirtualClock(0);
    await assert.rejects(clock.runUntil(new Promise(() => {})), /stalled/);
  });

  it('passes on the value or the error of the work it drove', async () => {
    const clock = new VirtualClock(0);
    assert.equal(await clock.runUntil(clock.sleep(5).then(() => 'done')), 'done');
    await assert.rejects(clock.runUntil(clock.sleep(5).then(() => { throw new Error('boom'); })), /boom/);
  });
});
