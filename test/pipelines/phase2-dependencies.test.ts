import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Phase2RunOutcome } from '../../src/pipelines/phase2/controller.js';
import { submitPhase2 } from '../../src/pipelines/phase2/controller.js';
import { phase2Story } from '../../src/pipelines/phase2/story.js';
import { newRunId } from '../../src/engine/hash.js';
import { snapshotFiles } from '../../src/drivers/repo/snapshot-files.js';
import { tempDir } from '../helpers/paths.js';
import { addUpdate, makePhase2Site, phase2Engine, type Phase2Site } from '../helpers/phase2-site.js';
import { requireRpmTools } from '../helpers/rpm.js';
import { forEachStore } from '../helpers/store-matrix.js';
import type { Store } from '../../src/store/index.js';
import { declareNeeds, moveFile } from '../helpers/dependencies.js';

async function runPhase2(site: Phase2Site, store: Store, afterSubmit?: () => Promise<void>) {
  const now = Date.now();
  const r = await submitPhase2({ store, config: site.config, configHash: 't', snapshot: await snapshotFiles(site.repoPath), repoPath: site.repoPath, now, runId: newRunId(now) });
  assert.ok(r.ok, JSON.stringify(r));
  await afterSubmit?.();
  const engine = phase2Engine(site, store);
  engine.start();
  const run = await engine.waitForRun(r.runId);
  await engine.stop();
  return { run, jobs: await store.listJobs(r.runId) };
}

forEachStore('phase2 keeps updates that need each other together: never split by the bisection, blamed as one when they fail', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t), { capacity: 4 });
  for (const id of ['aaaa', 'bbbb', 'cccc']) await addUpdate(site, id);
  await addUpdate(site, 'hz8d');
  // nv4a breaks the installer; it needs hz8d, so the two are one unit and the failure is theirs.
  await addUpdate(site, 'nv4a', { notes: 'this one breaks phase2' });
  await declareNeeds(store, 'nv4a', ['hz8d']);
  // An edge declared once the run started is not the run's: the controller decides from the
  // edges recorded in its inputs, as a restarted one would (aaaa is not pulled into the unit).
  const { run, jobs } = await runPhase2(site, store, () => declareNeeds(store, 'aaaa', ['nv4a']));
  const outcome = run.outcome as Phase2RunOutcome;
  assert.equal(run.verdict, 'fail', run.reason ?? '');
  assert.deepEqual(outcome.culprits.map((c) => [c.updates, c.units]), [[['hz8d', 'nv4a'], [['hz8d', 'nv4a']]]]);
  assert.deepEqual(outcome.clean, ['aaaa', 'bbbb', 'cccc']);
  assert.match(run.reason ?? '', /culprit: hz8d\+nv4a \(need each other\) \(tests\); 3 of 5 updates passed/);
  for (const j of jobs) {
    const group = (j.spec as { group: string[] }).group;
    assert.equal(group.includes('hz8d'), group.includes('nv4a'), `job ${j.id} split the unit: ${group.join(' ')}`);
  }
  // Without the edge the bisection would have come down to nv4a alone; with it, the smallest group is the pair.
  assert.ok(jobs.some((j) => (j.spec as { group: string[] }).group.join(' ') === 'hz8d nv4a'));
  for (const id of ['hz8d', 'nv4a']) assert.ok(existsSync(join(site.repoPath, 'updates', `${id}.yml`)), `${id} stays in updates/`);
  for (const id of ['aaaa', 'bbbb', 'cccc']) assert.ok(existsSync(join(site.repoPath, 'ready', `${id}.yml`)));
  const told = [...phase2Story.head(run, jobs, 'now'), ...phase2Story.outcomeLines(run, jobs, () => [])].join('\n');
  assert.match(told, /need each other, tested, blamed and moved as one: hz8d\+nv4a/);
  assert.match(told, /CULPRIT hz8d\+nv4a \(need each other\): failed the tests as one/);
});

forEachStore('phase2 installs what an update needs from ready/ under its group, and holds one whose need failed, is withdrawn or held', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t), { checks: true });
  // rrrr passed an earlier phase2; wwww requires its package, which production lacks: only
  // installed together does wwww pass the installable check.
  await addUpdate(site, 'rrrr');
  moveFile(site, 'rrrr', 'ready');
  await addUpdate(site, 'wwww', { requires: ['python-rrrr'] });
  await declareNeeds(store, 'wwww', ['rrrr']);
  await addUpdate(site, 'ffff');
  moveFile(site, 'ffff', 'failed');
  await addUpdate(site, 'xfal');
  await declareNeeds(store, 'xfal', ['ffff']);
  await addUpdate(site, 'xgon');
  await declareNeeds(store, 'xgon', ['zzzz']);
  await addUpdate(site, 'xchn');
  await declareNeeds(store, 'xchn', ['xgon']);
  await addUpdate(site, 'okok');
  const { run, jobs } = await runPhase2(site, store);
  assert.equal(run.verdict, 'pass', run.reason ?? '');
  const inputs = run.inputs as { batch: string[]; held: { id: string; why: string }[]; dependencies?: { base: { id: string }[] } };
  assert.deepEqual(inputs.batch, ['okok', 'wwww']);
  assert.deepEqual(inputs.dependencies?.base.map((b) => b.id), ['rrrr']);
  const held = new Map(inputs.held.map((h) => [h.id, h.why]));
  assert.deepEqual([...held.keys()].sort(), ['xchn', 'xfal', 'xgon']);
  assert.match(held.get('xfal') ?? '', /^needs ffff \(sluice submit --with ffff\), which is refused by promote, in failed\//);
  assert.match(held.get('xgon') ?? '', /^needs zzzz .*withdrawn/);
  assert.match(held.get('xchn') ?? '', /^needs xgon .*, which waits too: needs zzzz/);
  // Every job of wwww's group installed rrrr's build with it; okok's group alone did not.
  for (const j of jobs) {
    const spec = j.spec as { group: string[]; base?: string[]; builds: { id: string }[] };
    const withBase = spec.group.includes('wwww');
    assert.deepEqual(spec.base ?? [], withBase ? ['rrrr'] : []);
    assert.equal(spec.builds.some((b) => b.id === 'python-rrrr-1.0-1.el7'), withBase, j.id);
  }
  assert.deepEqual((run.outcome as Phase2RunOutcome).clean, ['okok', 'wwww']);
  for (const id of ['xchn', 'xfal', 'xgon']) assert.ok(existsSync(join(site.repoPath, 'updates', `${id}.yml`)));
  assert.ok(existsSync(join(site.repoPath, 'ready', 'rrrr.yml')), 'the base is not moved: it was in ready/ already');
  const told = [...phase2Story.head(run, jobs, 'now'), ...phase2Story.outcomeLines(run, jobs, () => [])].join('\n');
  assert.match(told, /from ready\/, installed with what needs it .*: rrrr \(sha256 [0-9a-f]+\), needed by wwww/);
  assert.match(told, /held in updates\/: xfal: needs ffff/);
});
