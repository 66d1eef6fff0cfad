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
