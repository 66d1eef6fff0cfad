import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { pruneSite, retentionSiteOf } from '../../src/drivers/retention/index.js';
import { tempDir } from '../helpers/paths.js';
import { submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { webEngine, webServer, webSite } from './fixture.js';

const DAY = 86_400_000;

forEachStore('/metrics shows the disk by kind; a pruned job\'s log page, raw log and API say when it was pruned', async ({ store }, t) => {
  const f = await webSite(tempDir(t));
  const runId = await submit(f.site, store, 'prnd', 'fail on kilo/epel-7', ['kilo/epel-7']);
  const engine = webEngine(f, store);
  engine.start();
  await engine.waitForRun(runId);
  await engine.stop();
  const job = (await store.listJobs(runId))[0]!;
  assert.ok(job.logPath && existsSync(job.logPath));
  const { app } = await webServer(t, store, f);

  const metrics = (await app.inject({ url: '/metrics' })).body;
  const logs = /^sluice_disk_used_bytes\{kind="logs"\} (\d+)$/m.exec(metrics);
  assert.ok(logs && Number(logs[1]) > 0, 'the run\'s logs are counted');
  assert.match(metrics, /^sluice_disk_used_bytes\{kind="images"\} 0$/m);
  assert.match(metrics, /^sluice_disk_free_bytes [1-9]\d*$/m);

  const later = Date.now() + 2 * DAY;
  const report = await pruneSite(retentionSiteOf(f.web.config, f.web.resolvePath), store, { limits: { logs: { maxAgeMs: DAY } }, now: later, dryRun: false });
  assert.equal(report.kinds.find((k) => k.kind === 'logs')?.removedItems, 1);
  assert.ok(!existsSync(job.logPath), 'the log is gone from the disk');
  const day = new Date(later).toISOString().slice(0, 10);

  const page = await app.inject({ url: `/jobs/${encodeURIComponent(job.id)}/log` });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, new RegExp(`log pruned on ${day}`));
  const raw = await app.inject({ url: `/jobs/${encodeURIComponent(job.id)}/log.txt` });
  assert.equal(raw.statusCode, 200);
  assert.match(raw.body, new RegExp(`^log pruned on ${day}`));
  const api = await app.inject({ url: `/api/jobs/${encodeURIComponent(job.id)}/log` });
  assert.equal(api.statusCode, 404);
  assert.match(api.body, new RegExp(`E_NO_LOG.*log pruned on ${day}`));
  // The job's own page and the run's still render from the store's rows.
  assert.equal((await app.inject({ url: `/jobs/${encodeURIComponent(job.id)}` })).statusCode, 200);
  assert.equal((await app.inject({ url: `/runs/${runId}` })).statusCode, 200);
});
