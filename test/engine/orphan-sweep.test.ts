import assert from 'node:assert/strict';
import { join } from 'node:path';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import type { NodeProvider } from '../../src/engine/node-provider.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, siteEngine, submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

forEachStore('a starting engine asks each provider to remove nodes of runs that are not unfinished, and a failing sweep stops nothing', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  const finished = await submit(site, store, 'done', 'green', ['kilo/epel-7']);
  const first = siteEngine(site, store);
  first.start();
  assert.equal((await first.waitForRun(finished)).verdict, 'pass');
  await first.stop();
  const waiting = await submit(site, store, 'wait', 'sleep 0.5', ['kilo/epel-7']);

  const local = localProvider({ name: 'local', capacity: 3, workDir: join(site.dir, 'work'), configDir: site.dir });
  const asked: string[][] = [];
  let sweeps = 0;
  const sweeping: NodeProvider = {
    name: 'local', capacity: 3, execute: (ex) => local.execute(ex),
    async reapOrphans(live) {
      sweeps++;
      asked.push([...await live()].sort());
      throw new Error('cloud unreachable');
    },
  };
  const engine = siteEngine(site, store, { providers: [sweeping] });
  engine.start();
  const verdict = (await engine.waitForRun(waiting)).verdict;
  await engine.stop();
  assert.equal(verdict, 'pass', 'a provider whose sweep throws still runs jobs');
  assert.equal(sweeps, 1, 'swept once at start, not at every 200 ms sweep');
  assert.deepEqual(asked[0], [waiting], 'only the unfinished run is live; the finished one is not');
});

forEachStore('the orphan sweep is told the images the store knows: recorded ones, and those a run whose report is owed announced', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  const now = Date.now();
  // Run a: reported, its image recorded. Run c: reported, announced a snapshot that was never
  // recorded (lost), and one of another provider. Run d: its report still owed (here it has
  // not even finished: no worker runs its kind), its snapshot announced.
  const a = await submit(site, store, 'imga', 'green', ['kilo/epel-7'], now);
  const c = await submit(site, store, 'imgc', 'green', ['kilo/epel-7'], now + 2);
  const first = siteEngine(site, store);
  first.start();
  for (const id of [a, c]) await first.waitForRun(id);
  await first.stop();
  const jobOf = async (runId: string) => (await store.listJobs(runId))[0]!.id;
  const announce = async (runId: string, provider: string, location: string) => store.appendEvent({ at: now, kind: 'image.snapshot', runId, jobId: await jobOf(runId), payload: { name: `n-${location}`, location, provider, target: 'kilo/epel-7' } });
  await announce(a, 'cloud', 'img-recorded');
  await store.recordImage({ name: 'n-img-recorded', target: 'kilo/epel-7', provider: 'cloud', location: 'img-recorded', productionKey: null, runId: a, jobId: await jobOf(a), createdAt: now });
  await announce(c, 'cloud', 'img-lost');
  await announce(c, 'other', 'img-other');
  const d = await submit(site, store, 'imgd', 'green', ['kilo/epel-7'], now + 3);
  await announce(d, 'cloud', 'img-owed');

  const local = localProvider({ name: 'cloud', capacity: 3, workDir: join(site.dir, 'work'), configDir: site.dir });
  let known: string[] | undefined;
  const sweeping: NodeProvider = {
    name: 'cloud', capacity: 3, execute: (ex) => local.execute(ex),
    async reapOrphans(_live, knownImages) {
      known = [...await knownImages!()].sort();
    },
  };
  const engine = siteEngine(site, store, { providers: [sweeping] });
  engine.start();
  await until(() => known !== undefined);
  await engine.stop();
  assert.deepEqual(known, ['img-owed', 'img-recorded'], 'the recorded image and the one a run still to report announced; not the lost one, nor another provider\'s');
});

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), 'the sweep ran');
}
