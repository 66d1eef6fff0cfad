import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../src/engine/clock.js';
import { Wake } from '../../src/engine/wake.js';

/** Which settles first: the wait, or a guard far shorter than the wait's poll. */
async function first(wait: Promise<void>): Promise<'woke' | 'still asleep'> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'still asleep'>((resolve) => { timer = setTimeout(() => resolve('still asleep'), 2000); });
  try {
    return await Promise.race([wait.then(() => 'woke' as const), guard]);
  } finally {
    clearTimeout(timer);
  }
}

test('a hint given while the worker looked at the store is not lost: the wait after it returns at once', async () => {
  const wake = new Wake(systemClock);
  const seen = wake.generation;
  wake.notify(); // a job ended between the look and the wait
  assert.equal(await first(wake.wait(60_000, undefined, seen)), 'woke');
  // Without a generation the hint is gone, as before: the wait sleeps to the next one.
  const stop = new AbortController();
  const sleeping = wake.wait(60_000, stop.signal);
  assert.equal(await first(sleeping), 'still asleep');
  wake.notify();
  assert.equal(await first(sleeping), 'woke');
  // With no hint since the look, the wait does sleep.
  const quiet = wake.generation;
  const waiting = wake.wait(60_000, stop.signal, quiet);
  assert.equal(await first(waiting), 'still asleep');
  stop.abort();
  await waiting;
});
