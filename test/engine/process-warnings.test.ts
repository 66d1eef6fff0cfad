import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { makeSite, siteEngine, submit } from '../helpers/site.js';

/**
 * A worker running more jobs at once than an EventTarget's default of 10 listeners, for
 * several waves: Node prints no warning (MaxListenersExceededWarning was printed once a
 * worker ran an eleventh job at once: one hand-back listener per running job).
 */
test('a loaded engine makes the process print no warning', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.after(() => { process.off('warning', onWarning); });
  const site = await makeSite(tempDir(t), { capacity: 16, retries: 0 });
  const store = await openStore(`sqlite:${join(site.dir, 'sluice.db')}`);
  t.after(() => store.close());
  const engine = siteEngine(site, store);
  engine.start();
  let mostAtOnce = 0;
  for (let wave = 0; wave < 3; wave++) {
    const runs = [];
    for (let i = 0; i < 8; i++) runs.push(await submit(site, store, `w${wave}u${i}`, 'sleep 0.3', ['kilo/epel-7', 'kilo/fedora-22']));
    const verdicts = [];
    for (const id of runs) verdicts.push((await engine.waitForRun(id)).verdict);
    assert.deepEqual(verdicts, runs.map(() => 'pass'));
    const jobs = (await Promise.all(runs.map((id) => store.listJobs(id)))).flat();
    for (const j of jobs) mostAtOnce = Math.max(mostAtOnce, jobs.filter((o) => o.startedAt! <= j.startedAt! && o.finishedAt! > j.startedAt!).length);
  }
  await engine.stop();
  assert.ok(mostAtOnce > 10, `the worker ran more than 10 jobs at once (most: ${mostAtOnce})`);
  // A warning is emitted on the next tick: let it arrive before looking.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(warnings, []);
});
