import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterStart, contentKey, decideRung, FRESH_MEMORY, type HeldContent, type RungMemory, type RungView } from '../../src/core/continuous-ladder.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const a1: HeldContent = { id: 'a', content: 'blob-a1' };
const a2: HeldContent = { id: 'a', content: 'blob-a2' };
const b1: HeldContent = { id: 'b', content: 'blob-b1' };

const view = (holds: HeldContent[], o: Partial<RungView> = {}): RungView => ({ holds, running: false, taken: new Set(), unsettled: new Map(), ...o });
const now = { windowMs: 0, retryMs: 30 * MIN };

describe('the continuous ladder\'s policy', () => {
  it('starts as soon as the folder holds content no run took, and only then', () => {
    const d = decideRung(view([a1, b1]), FRESH_MEMORY, T0, now);
    assert.equal(d.kind, 'start');
    assert.deepEqual(d.kind === 'start' && d.fresh, [a1, b1]);
    assert.deepEqual(decideRung(view([]), FRESH_MEMORY, T0, now).kind, 'wait');
    // Taken and given a verdict (a culprit left in updates/): never a reason for another run.
    const taken = decideRung(view([a1], { taken: new Set([contentKey(a1)]) }), FRESH_MEMORY, T0, now);
    assert.deepEqual([taken.kind, taken.kind === 'wait' && taken.wakeAt], ['wait', null]);
    // The same update with new content (a fix) is new.
    const fixed = decideRung(view([a2, b1], { taken: new Set([contentKey(a1), contentKey(b1)]) }), FRESH_MEMORY, T0, now);
    assert.deepEqual(fixed.kind === 'start' && fixed.fresh, [a2]);
  });

  it('never starts while one of its runs is going (it coalesces), and starts at the next look after it ends', () => {
    const going = decideRung(view([a1], { running: true }), FRESH_MEMORY, T0, now);
    assert.deepEqual([going.kind, going.kind === 'wait' && going.wakeAt, going.kind === 'wait' && going.why], ['wait', null, 'a run is going']);
    // However many updates arrive during the run: one start after it.
    const more = decideRung(view([a1, b1], { running: true }), going.memory, T0 + 40 * MIN, now);
    assert.equal(more.kind, 'wait');
    const after = decideRung(view([a1, b1]), more.memory, T0 + 50 * MIN, now);
    assert.deepEqual(after.kind === 'start' && after.fresh, [a1, b1]);
  });

  it('waits the window from the first new content, which later content does not reopen', () => {
    const w = { windowMs: 10 * MIN, retryMs: 30 * MIN };
    const first = decideRung(view([a1]), FRESH_MEMORY, T0, w);
    assert.deepEqual([first.kind, first.kind === 'wait' && first.wakeAt], ['wait', T0 + 10 * MIN]);
    const second = decideRung(view([a1, b1]), first.memory, T0 + 8 * MIN, w);
    assert.deepEqual([second.kind, second.kind === 'wait' && second.wakeAt], ['wait', T0 + 10 * MIN], 'the window is bounded by the first arrival');
    const closed = decideRung(view([a1, b1]), second.memory, T0 + 10 * MIN, w);
    assert.deepEqual(closed.kind === 'start' && closed.fresh, [a1, b1]);
    // A run that outlasts the window: the waiting content starts the moment it ends.
    const during = decideRung(view([a1], { running: true }), FRESH_MEMORY, T0, w);
    const ended = decideRung(view([a1]), during.memory, T0 + 60 * MIN, w);
    assert.equal(ended.kind, 'start');
    // After a start the window closes; the next new content opens a new one.
    const reset = afterStart(closed.memory, 'started', [a1, b1], T0 + 10 * MIN);
    assert.equal(reset.waitingSince, null);
    const next = decideRung(view([a2], { taken: new Set([contentKey(a1)]) }), reset, T0 + 20 * MIN, w);
    assert.deepEqual([next.kind, next.kind === 'wait' && next.wakeAt], ['wait', T0 + 30 * MIN]);
  });

  it('retries content a run ended without a verdict on, and content a start refused, only after the back-off', () => {
    // An errored or cancelled run ended at T0: its content waits retryMs.
    const errored = view([a1], { unsettled: new Map([[contentKey(a1), T0]]) });
    const early = decideRung(errored, FRESH_MEMORY, T0 + MIN, now);
    assert.deepEqual([early.kind, early.kind === 'wait' && early.wakeAt], ['wait', T0 + 30 * MIN]);
    assert.equal(decideRung(errored, FRESH_MEMORY, T0 + 30 * MIN, now).kind, 'start');
    // A start that found nothing to run (every target of the update disabled): not tried in a loop...
    const d = decideRung(view([a1]), FRESH_MEMORY, T0, now);
    assert.equal(d.kind, 'start');
    const refused: RungMemory = afterStart(d.memory, 'nothing', [a1], T0);
    const again = decideRung(view([a1]), refused, T0 + MIN, now);
    assert.deepEqual([again.kind, again.kind === 'wait' && again.wakeAt], ['wait', T0 + 30 * MIN]);
    // ...but other new content still starts a run at once, and the refusal ends with its back-off.
    const other = decideRung(view([a1, b1]), again.memory, T0 + 2 * MIN, now);
    assert.deepEqual(other.kind === 'start' && other.fresh, [b1]);
    assert.deepEqual(decideRung(view([a1]), again.memory, T0 + 30 * MIN, now).kind, 'start');
  });

  it('a start joined to a run going elsewhere keeps the window\'s opening', () => {
    const d = decideRung(view([a1]), FRESH_MEMORY, T0, now);
    const joined = afterStart(d.memory, 'coalesced', [a1], T0);
    assert.equal(joined.waitingSince, T0);
    assert.equal(decideRung(view([a1], { running: true }), joined, T0 + MIN, now).kind, 'wait');
  });
});
