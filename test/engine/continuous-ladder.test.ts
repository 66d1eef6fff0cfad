import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentKey, type HeldContent } from '../../src/core/continuous-ladder.js';
import { systemClock } from '../../src/engine/clock.js';
import { ContinuousLadder, type ContinuousRung } from '../../src/engine/continuous-ladder.js';
import type { TriggerOutcome } from '../../src/engine/schedule-log.js';
import { Wake } from '../../src/engine/wake.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A rung over an in-memory folder, run the way the store runs them: one unfinished run at a
 * time (a second start is coalesced), a run takes everything the folder holds. The driver
 * under test is the real one, on the system clock.
 */
function folderRung(o: { windowMs?: number; nothingFor?: string } = {}) {
  const holds: HeldContent[] = [];
  const taken = new Set<string>();
  let running: string | null = null;
  const starts: { at: number; ids: string[]; outcome: TriggerOutcome['kind'] }[] = [];
  let n = 0;
  const rung: ContinuousRung = {
    name: 'phase2',
    policy: { windowMs: o.windowMs ?? 0, retryMs: 60_000 },
    look: async () => ({ holds: [...holds], running: running !== null, taken: new Set(taken), unsettled: new Map() }),
    async start(now) {
      const ids = holds.filter((c) => !taken.has(contentKey(c))).map((c) => c.id);
      if (running !== null) { starts.push({ at: now, ids, outcome: 'coalesced' }); return { kind: 'coalesced', runId: running }; }
      if (ids.length > 0 && ids.every((id) => id === o.nothingFor)) { starts.push({ at: now, ids, outcome: 'nothing' }); return { kind: 'nothing', why: 'every target disabled' }; }
      running = `r${++n}`;
      for (const c of holds) if (c.id !== o.nothingFor) taken.add(contentKey(c));
      starts.push({ at: now, ids, outcome: 'started' });
      return { kind: 'started', runId: running };
    },
  };
  return {
    rung, starts,
    add(id: string, content = `${id}-1`) { holds.push({ id, content }); },
    finish() { running = null; },
  };
}

function ladderOf(rung: ContinuousRung, o: { mayStart?: () => boolean; pollMs?: number } = {}) {
  const wake = new Wake(systemClock);
  const started: string[] = [];
  const ladder = new ContinuousLadder({
    rungs: [rung], clock: systemClock, wake: () => wake, pollMs: o.pollMs ?? 60_000, minGapMs: 20,
    ...(o.mayStart ? { mayStart: o.mayStart } : {}), onStarted: (id) => started.push(id),
  });
  return { ladder, wake, started };
}

async function until(what: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await sleep(10);
  assert.ok(what(), 'not in time');
}

describe('the continuous ladder\'s driver', () => {
  it('starts at the hint after new content, coalesces what arrives during the run, and starts again at its end', async () => {
    const f = folderRung();
    const { ladder, wake, started } = ladderOf(f.rung);
    ladder.start();
    try {
      await sleep(50);
      assert.equal(f.starts.length, 0, 'nothing to start in an empty folder');
      f.add('a');
      wake.notify();
      await until(() => started.length === 1);
      f.add('b');
      f.add('c');
      wake.notify();
      await sleep(100);
      assert.deepEqual(f.starts.map((s) => s.outcome), ['started'], 'no start while the run goes: the policy waits for its end');
      f.finish();
      wake.notify();
      await until(() => started.length === 2);
      assert.deepEqual(f.starts.map((s) => [s.ids, s.outcome]), [[['a'], 'started'], [['b', 'c'], 'started']]);
      assert.deepEqual(started, ['r1', 'r2']);
    } finally {
      await ladder.stop();
    }
  });

  it('waits the window, does not retry a refused start in a loop, and starts nothing when it is not the leader', async () => {
    const windowed = folderRung({ windowMs: 300 });
    const w = ladderOf(windowed.rung);
    w.ladder.start();
    try {
      const t0 = Date.now();
      windowed.add('a');
      w.wake.notify();
      await sleep(100);
      windowed.add('b');
      w.wake.notify();
      await until(() => windowed.starts.length === 1);
      assert.ok(Date.now() - t0 >= 290, 'not before the window closes');
      assert.deepEqual(windowed.starts[0]?.ids, ['a', 'b']);
    } finally {
      await w.ladder.stop();
    }

    const refusing = folderRung({ nothingFor: 'held' });
    const r = ladderOf(refusing.rung);
    r.ladder.start();
    try {
      refusing.add('held');
      for (let i = 0; i < 10; i++) { r.wake.notify(); await sleep(30); }
      assert.deepEqual(refusing.starts.map((s) => s.outcome), ['nothing'], 'one refusal, then the back-off');
      refusing.add('fresh');
      r.wake.notify();
      await until(() => refusing.starts.length === 2);
      // The run's snapshot holds the refused one too; it is the new one that called for it.
      assert.deepEqual(refusing.starts[1], { at: refusing.starts[1]!.at, ids: ['held', 'fresh'], outcome: 'started' });
    } finally {
      await r.ladder.stop();
    }

    const follower = folderRung();
    const fl = ladderOf(follower.rung, { mayStart: () => false });
    fl.ladder.start();
    try {
      follower.add('a');
      for (let i = 0; i < 5; i++) { fl.wake.notify(); await sleep(30); }
      assert.equal(follower.starts.length, 0);
    } finally {
      await fl.ladder.stop();
    }
  });

  it('looks again on its poll without any hint, and a failing look is only logged', async () => {
    const f = folderRung();
    let fail = true;
    const lines: string[] = [];
    const rung: ContinuousRung = { ...f.rung, look: async () => { if (fail) throw new Error('git is broken'); return f.rung.look(); } };
    const wake = new Wake(systemClock);
    const ladder = new ContinuousLadder({ rungs: [rung], clock: systemClock, wake: () => wake, pollMs: 50, minGapMs: 10, log: (l) => lines.push(l) });
    ladder.start();
    try {
      f.add('a');
      await until(() => lines.some((l) => /phase2: cannot look: git is broken/.test(l)));
      fail = false;
      await until(() => f.starts.length === 1);
    } finally {
      await ladder.stop();
    }
  });
});
