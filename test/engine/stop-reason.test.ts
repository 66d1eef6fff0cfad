import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttemptStop } from '../../src/engine/stop-reason.js';

describe('an attempt stop', () => {
  it('has no reason and an open signal while the attempt runs', () => {
    const stop = new AttemptStop();
    assert.equal(stop.reason, undefined);
    assert.equal(stop.signal.aborted, false);
  });

  it('aborts the signal at the first request and keeps the reason', () => {
    const stop = new AttemptStop();
    stop.request({ kind: 'handed_back' });
    assert.equal(stop.signal.aborted, true);
    assert.deepEqual(stop.reason, { kind: 'handed_back' });
  });

  it('is idempotent: a repeated or weaker request changes nothing', () => {
    const stop = new AttemptStop();
    stop.request({ kind: 'cancelled' });
    stop.request({ kind: 'cancelled' });
    stop.request({ kind: 'handed_back' });
    assert.deepEqual(stop.reason, { kind: 'cancelled' });
  });

  it('lets a cancelled run outrank a hand-back, and a lost lease outrank both', () => {
    const stop = new AttemptStop();
    stop.request({ kind: 'handed_back' });
    stop.request({ kind: 'cancelled' });
    assert.deepEqual(stop.reason, { kind: 'cancelled' });
    stop.request({ kind: 'lease_lost' });
    stop.request({ kind: 'cancelled' });
    assert.deepEqual(stop.reason, { kind: 'lease_lost' });
  });

  it('ignores a hand-back once the commands ended, but not the heartbeat\'s last answer', () => {
    const stop = new AttemptStop();
    stop.settle();
    stop.request({ kind: 'handed_back' });
    assert.equal(stop.reason, undefined);
    assert.equal(stop.signal.aborted, false);
    stop.request({ kind: 'cancelled' });
    assert.deepEqual(stop.reason, { kind: 'cancelled' });
  });
});
