import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { newRunId } from '../../src/engine/hash.js';
import { updatePreparer } from '../../src/drivers/prepare/update-preparer.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { listReady } from '../../src/drivers/repo/push-ready.js';
import { snapshotFiles } from '../../src/drivers/repo/snapshot-files.js';
import { phase2Controller, submitPhase2 } from '../../src/pipelines/phase2/controller.js';
import { phase2Reporter } from '../../src/pipelines/phase2/reporter.js';
import { promoteController } from '../../src/pipelines/promote/controller.js';
import { promoteReporter } from '../../src/pipelines/promote/reporter.js';
import { promoteStory } from '../../src/pipelines/promote/story.js';
import { submitPromote } from '../../src/pipelines/promote/submit.js';
import type { PromoteOutcome } from '../../src/core/records/promote.js';
import type { Run, Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { addUpdate, makePhase2Site, type Phase2Site } from '../helpers/phase2-site.js';
import { requireRpmTools } from '../helpers/rpm.js';
import { forEachStore } from '../helpers/store-matrix.js';
import { declareNeeds } from '../helpers/dependencies.js';

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

/** phase2 and promote on one engine, as `sluice serve` composes them. */
function ladderEngine(site: Phase2Site, store: Store): Engine {
  const now = () => Date.now();
  const cacheDir = join(site.dir, 'cache');
  return new Engine({
    store,
    providers: [localProvider({ name: 'local', capacity: 3, workDir: join(site.dir, 'work'), configDir: site.dir, killGraceMs: 300 })],
    preparer: updatePreparer({ config: site.config, configDir: site.dir, store, cacheDir, logDir: join(site.dir, 'work'), now }),
    reporters: [phase2Reporter({ repoPath: site.repoPath, store, now }), promoteReporter({ repoPath: site.repoPath, store, now })],
    controllers: [
      phase2Controller({ config: site.config, store, now }),
      promoteController({ config: site.config, configDir: site.dir, store, cacheDir, stageRoot: join(site.dir, '.sluice', 'stage'), productionRoot: join(site.dir, 'published'), now }),
    ],
    workerId: 'ladder', leaseMs: 5000, pollMs: 100, sweepEveryMs: 200, retryBackoffMs: 50,
  });
}

async function follow(site: Phase2Site, store: Store, runId: string): Promise<Run> {
  const engine = ladderEngine(site, store);
  engine.start();
  const run = await engine.waitForRun(runId);
  await engine.stop();
  return run;
}

async function phase2(site: Phase2Site, store: Store): Promise<Run> {
  const now = Date.now();
  const r = await submitPhase2({ store, config: site.config, configHash: 't', snapshot: await snapshotFiles(site.repoPath), repoPath: site.repoPath, now, runId: newRunId(now) });
  assert.ok(r.ok, JSON.stringify(r));
  return follow(site, store, r.runId);
}

async function promote(site: Phase2Site, store: Store): Promise<Run> {
  const now = Date.now();
  const r = await submitPromote({ store, config: site.config, configHash: 't', ready: await listReady(site.repoPath), repoPath: site.repoPath, now, runId: newRunId(now) });
  assert.ok(r.ok, JSON.stringify(r));
  return follow(site, store, r.runId);
}

const published = (site: Phase2Site) => {
  const prod = join(site.dir, 'published', 'kilo', 'epel-7');
  return existsSync(prod) ? readdirSync(realpathSync(prod)).filter((f) => f.endsWith('.rpm')).sort() : [];
};
const rpm = (id: string) => `python-${id}-1.0-1.el7.noarch.rpm`;

forEachStore('promote never publishes an update before what it needs: held in ready/ while its need is in updates/ or refused, published together with a need of the same ready/', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  for (const id of ['aaaa', 'bbbb', 'cccc', 'nv4a']) await addUpdate(site, id);
  await declareNeeds(store, 'bbbb', ['cccc']);
  const first = await phase2(site, store);
  assert.equal(first.verdict, 'pass', first.reason ?? '');
  // After nv4a passed phase2, it is found to need hz8d, which only now reaches updates/.
  await addUpdate(site, 'hz8d');
  await declareNeeds(store, 'nv4a', ['hz8d']);

  const p1 = await promote(site, store);
  assert.equal(p1.verdict, 'pass', p1.reason ?? '');
  const o1 = p1.outcome as NonNullable<PromoteOutcome>;
  assert.deepEqual(o1.pushed.map((p) => p.id), ['aaaa', 'bbbb', 'cccc'], 'bbbb and the cccc it needs go out in the same promote');
  assert.deepEqual(o1.held?.map((h) => [h.id, h.why]), [['nv4a', 'needs hz8d (sluice submit --with hz8d), which is still in updates/, not through phase2']]);
  assert.match(p1.reason ?? '', /held in ready\/ for what they need: nv4a/);
  assert.deepEqual(published(site), ['aaaa', 'bbbb', 'cccc'].map(rpm));
  assert.ok(existsSync(join(site.repoPath, 'ready', 'nv4a.yml')), 'the dependant stays in ready/');
  assert.ok(!existsSync(join(site.repoPath, 'failed', 'nv4a.yml')));
  const jobs1 = await store.listJobs(p1.id);
  const told = [...promoteStory.head(p1, jobs1, 'now'), ...promoteStory.verdict(p1, jobs1)].join('\n');
  assert.match(told, /held in ready\/, not staged: nv4a: needs hz8d/);
  assert.match(told, /held in ready\/ \(not published before what it needs\): nv4a/);
  // The stage tests never saw the held update.
  assert.ok(jobs1.every((j) => !(j.spec as { updates: { id: string }[] }).updates.some((u) => u.id === 'nv4a')));

  // hz8d passes phase2, then its RPM is rebuilt under the same name: promote refuses it, and nv4a, which needs it, waits again.
  const second = await phase2(site, store);
  assert.deepEqual((second.outcome as { clean: string[] }).clean, ['hz8d']);
  const nvr = 'python-hz8d-1.0-1.el7';
  for (const dir of [join(site.dir, 'builds', nvr), join(site.dir, 'cache', 'builds', 'koji', nvr)]) {
    const file = join(dir, `${nvr}.noarch.rpm`);
    if (existsSync(file)) writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('tampered')]));
  }
  const p2 = await promote(site, store);
  assert.equal(p2.verdict, 'fail', p2.reason ?? '');
  const o2 = p2.outcome as NonNullable<PromoteOutcome>;
  assert.deepEqual(o2.failed.map((f) => f.id), ['hz8d']);
  assert.deepEqual(o2.pushed, []);
  assert.deepEqual(o2.held?.map((h) => [h.id, h.why]), [['nv4a', 'needs hz8d (sluice submit --with hz8d), which is refused by promote, in failed/ (by this promote)']]);
  assert.deepEqual(published(site), ['aaaa', 'bbbb', 'cccc'].map(rpm), 'nv4a was never published without hz8d');
  assert.ok(existsSync(join(site.repoPath, 'failed', 'hz8d.yml')));
  assert.ok(existsSync(join(site.repoPath, 'ready', 'nv4a.yml')));
  assert.equal(git(site.repoPath, 'status', '--porcelain'), '');

  // Now only nv4a is left, and what it needs is refused: there is nothing promote may do.
  const third = await submitPromote({ store, config: site.config, configHash: 't', ready: await listReady(site.repoPath), repoPath: site.repoPath, now: Date.now(), runId: newRunId(Date.now()) });
  assert.ok(!third.ok && third.kind === 'nothing');
  assert.match(third.why, /every update of ready\/ waits for what it needs: nv4a needs hz8d .*in failed\//);
}, { timeoutMs: 180_000 });
