import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../../src/drivers/registry.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { updatePreparer } from '../../src/drivers/prepare/update-preparer.js';
import { Engine } from '../../src/engine/engine.js';
import { newRunId } from '../../src/engine/hash.js';
import { submitPhase1 } from '../../src/pipelines/phase1/submit.js';
import { tempDir } from '../helpers/paths.js';
import { buildRpm, requireRpmTools } from '../helpers/rpm.js';
import { makeSite } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

forEachStore('phase1 fetches the builds, makes their repository and runs the built-in checks before the tests', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const dir = tempDir(t);
  const site = await makeSite(dir);
  // Production has oslo-concurrency 1.4.1; one update needs >= 1.8.0, the other does not.
  buildRpm(join(dir, 'rpmbuild'), join(dir, 'production'), { name: 'python-oslo-concurrency', version: '1.4.1', release: '1.el7' });
  buildRpm(join(dir, 'rpmbuild'), join(dir, 'builds', 'openstack-nova-2015.1.2-1.el7'), { name: 'openstack-nova', version: '2015.1.2', release: '1.el7', requires: ['python-oslo-concurrency >= 1.8.0'] }, { withSource: true });
  buildRpm(join(dir, 'rpmbuild'), join(dir, 'builds', 'openstack-glance-2015.1.2-1.el7'), { name: 'openstack-glance', version: '2015.1.2', release: '1.el7', requires: ['python-oslo-concurrency >= 1.4'] });
  const parsed = parseConfigText(`${site.configText.replace(/kilo\/epel-7: \{ repo: "[^"]*", image: img-kilo-el7 \}/, `kilo/epel-7: { repo: "file://${join(dir, 'production')}", image: img-kilo-el7 }`)}sources: { koji: { type: local, path: builds } }\n`.replace('pipelines: { phase1: { test:', 'pipelines: { phase1: { checks: [conflicts, upgrade, installable], test:'), join(dir, 'sluice.yaml'));
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  const config = parsed.config;
  const submit = async (id: string, nvr: string) => {
    const r = await submitPhase1({ store, config, configHash: 't', file: `updates/${id}.yml`, bytes: new TextEncoder().encode(`notes: x\nbuilds:\n  - {id: ${nvr}, repo: kilo, dist: el7}\n`), author: { name: 'P', email: 'p@example.org' }, now: Date.now(), runId: newRunId(Date.now()) });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    return r.runId;
  };
  const nova = await submit('nova', 'openstack-nova-2015.1.2-1.el7');
  const glance = await submit('glnc', 'openstack-glance-2015.1.2-1.el7');
  const engine = new Engine({
    store, providers: [localProvider({ name: 'local', capacity: 2, workDir: join(dir, 'work'), configDir: dir })],
    preparer: updatePreparer({ config, configDir: dir, store, cacheDir: join(dir, 'cache'), logDir: join(dir, 'work'), now: () => Date.now() }),
    workerId: 'w', leaseMs: 5000, pollMs: 50, sweepEveryMs: 200,
  });
  engine.start();
  const [a, b] = [await engine.waitForRun(nova), await engine.waitForRun(glance)];
  await engine.stop();
  const novaJob = (await store.listJobs(nova))[0]!;
  assert.equal(a.verdict, 'fail', `${novaJob.reason}\n${novaJob.logPath ? readFileSync(novaJob.logPath, 'utf8') : ''}`);
  assert.match(novaJob.reason ?? '', /^installable: 1 unsatisfied dependency: nothing provides python-oslo-concurrency >= 1.8.0 needed by openstack-nova-2015.1.2-1.el7.noarch/);
  assert.match(readFileSync(novaJob.logPath!, 'utf8'), /FAILED: installable/);
  assert.equal(b.verdict, 'pass');
  const glanceLog = readFileSync((await store.listJobs(glance))[0]!.logPath!, 'utf8');
  const repo = /repo=(\S+)$/m.exec(glanceLog)?.[1];
  assert.ok(repo && existsSync(join(repo, 'repodata', 'repomd.xml')), `the test command found the update's repository: ${glanceLog}`);
  // A second update of the same build fetches nothing: its source may even be gone.
  rmSync(join(dir, 'builds', 'openstack-glance-2015.1.2-1.el7'), { recursive: true });
  const again = await submit('gln2', 'openstack-glance-2015.1.2-1.el7');
  const second = new Engine({
    store, providers: [localProvider({ name: 'local', capacity: 2, workDir: join(dir, 'work'), configDir: dir })],
    preparer: updatePreparer({ config, configDir: dir, store, cacheDir: join(dir, 'cache'), logDir: join(dir, 'work'), now: () => Date.now() }),
    workerId: 'w2', leaseMs: 5000, pollMs: 50, sweepEveryMs: 200,
  });
  second.start();
  const c = await second.waitForRun(again);
  // A cached file changed on disk is not trusted: it is fetched again (and here the source is gone).
  const cachedRpm = join(dir, 'cache', 'builds', 'koji', 'openstack-glance-2015.1.2-1.el7', 'openstack-glance-2015.1.2-1.el7.noarch.rpm');
  writeFileSync(cachedRpm, 'tampered');
  const third = await submit('gln3', 'openstack-glance-2015.1.2-1.el7');
  const d = await second.waitForRun(third);
  await second.stop();
  assert.equal(c.verdict, 'pass');
  const prepLog = readdirSync(join(dir, 'work', again)).find((f) => f.endsWith('-prepare.log'))!;
  assert.match(readFileSync(join(dir, 'work', again, prepLog), 'utf8'), /openstack-glance-2015.1.2-1.el7 from koji: fetched before, checksums verified/);
  assert.equal(d.verdict, 'fail');
  assert.match((await store.listJobs(third))[0]!.reason ?? '', /openstack-glance-2015.1.2-1.el7/);
  const recorded = await store.listRpms('openstack-nova-2015.1.2-1.el7');
  assert.deepEqual(recorded.map((r) => r.fileName).sort(), ['openstack-nova-2015.1.2-1.el7.noarch.rpm', 'openstack-nova-2015.1.2-1.el7.src.rpm']);
  assert.ok(recorded.every((r) => /^[0-9a-f]{64}$/.test(r.sha256)));
}, { timeoutMs: 120_000 });
