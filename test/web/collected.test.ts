import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { siteEngine, submit } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { webServer, webSite } from './fixture.js';

forEachStore('the files a job\'s node sent back are linked on its card and served as text, and only those', async ({ store }, t) => {
  const f = await webSite(tempDir(t));
  const runId = await submit(f.site, store, 'hkvc', 'all good', ['kilo/epel-7']);
  const engine = siteEngine(f.site, store);
  engine.start();
  await engine.waitForRun(runId);
  await engine.stop();
  const job = (await store.listJobs(runId))[0]!;
  assert.ok(job.logPath);
  // What the remote collector leaves beside the log (pipelines.<name>.collect).
  const dir = join(dirname(job.logPath), 'collected');
  mkdirSync(dir);
  writeFileSync(join(dir, 'var_log_nova_nova-api.log'), 'ERROR nova.api <script>alert(1)</script>\n');
  const { app } = await webServer(t, store, f);
  const page = (await app.inject({ url: `/runs/${runId}` })).body;
  const link = `/jobs/${encodeURIComponent(job.id)}/collected/var_log_nova_nova-api.log`;
  assert.ok(page.includes(`from the node: <a href="${link}">var_log_nova_nova-api.log</a>`), 'the card links the collected file beside the log');
  const jobPage = (await app.inject({ url: `/jobs/${encodeURIComponent(job.id)}` })).body;
  assert.ok(jobPage.includes(link), 'the job\'s own page too');
  const file = await app.inject({ url: link });
  assert.equal(file.statusCode, 200);
  assert.match(String(file.headers['content-type']), /^text\/plain/);
  assert.equal(file.headers['x-content-type-options'], 'nosniff');
  assert.equal(file.body, 'ERROR nova.api <script>alert(1)</script>\n');
  // A name is looked up among the collected files, never joined into a path.
  for (const name of ['job.log', '..%2Fjob.log', '..', '%2Fetc%2Fpasswd']) {
    const r = await app.inject({ url: `/jobs/${encodeURIComponent(job.id)}/collected/${name}` });
    assert.ok(r.statusCode === 404 || r.statusCode === 400, `${name}: ${r.statusCode}`);
    assert.doesNotMatch(r.body, /root:|Sluice phase1/);
  }
});
