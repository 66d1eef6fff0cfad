import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { CronTask } from '../../src/engine/cron-task.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';

const T = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await delay(1);
}

test('retention\'s prune fires at each cron instant while this serve leads, never between, and one still running makes the next firing skip', async () => {
  const clock = new VirtualClock(T('2026-12-07T03:00:00Z'));
  const fired: string[] = [];
  const logs: string[] = [];
  let leading = true;
  let release: (() => void) | undefined;
  const task = new CronTask({
    name: 'retention', cron: '0 4 * * *', clock, log: (l) => logs.push(l), mayFire: () => leading,
    task: async (firedAt) => {
      fired.push(iso(firedAt));
      if (fired.length === 2) await new Promise<void>((r) => { release = r; });
    },
  });
  task.start();
  await settle();
  await clock.advance(59 * 60_000);
  await settle();
  assert.deepEqual(fired, [], 'not before 04:00');
  await clock.advance(60_000);
  await settle();
  assert.deepEqual(fired, ['2026-12-07T04:00:00.000Z']);
  // The next night's prune hangs; the one after finds it running and is skipped.
  await clock.advance(24 * 3_600_000);
  await settle();
  await clock.advance(24 * 3_600_000);
  await settle();
  assert.deepEqual(fired, ['2026-12-07T04:00:00.000Z', '2026-12-08T04:00:00.000Z']);
  assert.ok(logs.some((l) => /firing of 2026-12-09T04:00:00Z is skipped, the previous one still runs/.test(l)), logs.join('\n'));
  release?.();
  await settle();
  // A follower (its lease ran out) does not prune.
  leading = false;
  await clock.advance(24 * 3_600_000);
  await settle();
  assert.equal(fired.length, 2);
  leading = true;
  await clock.advance(24 * 3_600_000);
  await settle();
  assert.deepEqual(fired.at(-1), '2026-12-11T04:00:00.000Z');
  await task.stop();
});
