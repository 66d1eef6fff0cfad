import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Phase2RunOutcome } from '../../src/pipelines/phase2/controller.js';
import { submitPhase2 } from '../../src/pipelines/phase2/controller.js';
import { newRunId } from '../../src/engine/hash.js';
import { snapshotFiles } from '../../src/drivers/repo/snapshot-files.js';
import { tempDir } from '../helpers/paths.js';
import { addUpdate, makePhase2Site, phase2Engine, type Phase2Site } from '../helpers/phase2-site.js';
import { requireRpmTools } from '../helpers/rpm.js';
import { forEachStore } from '../helpers/store-matrix.js';
import type { Store } from '../../src/store/index.js';

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

async function startPhase2(site: Phase2Site, store: Store): Promise<string> {
  const now = Date.now();
  const r = await submitPhase2({ store, config: site.config, configHash: 't', snapshot: await snapshotFiles(site.repoPath), repoPath: site.repoPath, now, runId: newRunId(now) });
  assert.ok(r.ok, JSON.stringify(r));
  return r.runId;
}

forEachStore('phase2 finds the culprit among five updates, moves the other four to ready/ with their authors', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  for (const id of ['aaaa', 'bbbb', 'dddd', 'eeee']) await addUpdate(site, id);
  await addUpdate(site, 'cccc', { notes: 'this one breaks phase2' });
  const runId = await startPhase2(site, store);
  const engine = phase2Engine(site, store);
  engine.start();
  const run = await engine.waitForRun(runId);
  await engine.stop();
  const outcome = run.outcome as Phase2RunOutcome;
  assert.equal(run.verdict, 'fail', run.reason ?? '');
  assert.deepEqual(outcome.culprits.map((c) => c.updates), [['cccc']]);
  assert.deepEqual(outcome.clean, ['aaaa', 'bbbb', 'dddd', 'eeee']);
  // 5 updates, 1 culprit: whole batch, then halves, then down to the culprit: within k*ceil(log2 n)+1 = 4.
  assert.ok(outcome.rounds.tests <= 4, `rounds ${outcome.rounds.tests}`);
  assert.match(run.reason ?? '', /culprit: cccc \(tests\); 4 of 5 updates passed/);
  // The culprit's evidence is its own failing job, whose log holds the installer's error.
  const jobs = await store.listJobs(runId);
  const evidence = jobs.filter((j) => outcome.culprits[0]!.failedJobs.includes(j.id));
  assert.ok(evidence.length > 0);
  for (const j of evidence) {
    assert.deepEqual((j.spec as { group: string[] }).group, ['cccc']);
    assert.match(readFileSync(j.logPath!, 'utf8'), /Error: Execution of '\/usr\/bin\/packstack --allinone' returned 1: cccc broke the installer/);
    assert.match(readFileSync(j.logPath!, 'utf8'), /install=preinstall/);
  }
  // The update repository tells the story: four moves, each by its original author; the culprit stays.
  const log = git(site.repoPath, 'log', '--format=%s|%an|%b', 'HEAD').split('\n').filter((l) => l.startsWith('Move '));
  assert.deepEqual(log.map((l) => l.split('|').slice(0, 2).join('|')).sort(), ['Move aaaa to ready/|Packager aaaa', 'Move bbbb to ready/|Packager bbbb', 'Move dddd to ready/|Packager dddd', 'Move eeee to ready/|Packager eeee']);
  for (const id of ['aaaa', 'bbbb', 'dddd', 'eeee']) {
    assert.ok(existsSync(join(site.repoPath, 'ready', `${id}.yml`)));
    assert.ok(!existsSync(join(site.repoPath, 'updates', `${id}.yml`)));
  }
  assert.ok(existsSync(join(site.repoPath, 'updates', 'cccc.yml')));
  assert.equal(git(site.repoPath, 'status', '--porcelain'), '');
  const moved = (await store.listEvents({ runId })).find((e) => e.kind === 'phase2.moved');
  assert.equal((moved?.payload as { moves: unknown[] }).moves.length, 4);
});

forEachStore('phase2 runs the cheap checks first: a missing dependency is found without provisioning, the tests then find the rest', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t), { checks: true });
  await addUpdate(site, 'aaaa');
  await addUpdate(site, 'bbbb', { requires: ['python-oslo-concurrency >= 9.0'] });
  await addUpdate(site, 'cccc', { notes: 'breaks phase2 here' });
  await addUpdate(site, 'dddd', { dists: ['el7', 'f22'] });
  const runId = await startPhase2(site, store);
  const engine = phase2Engine(site, store);
  engine.start();
  const run = await engine.waitForRun(runId);
  await engine.stop();
  const outcome = run.outcome as Phase2RunOutcome;
  assert.deepEqual(outcome.culprits.map((c) => [c.updates, c.stage]), [[['bbbb'], 'checks'], [['cccc'], 'tests']], run.reason ?? '');
  assert.deepEqual(outcome.clean, ['aaaa', 'dddd']);
  const jobs = await store.listJobs(runId);
  const testJobs = jobs.filter((j) => (j.spec as { stage: string }).stage === 'tests');
  assert.ok(testJobs.every((j) => !(j.spec as { group: string[] }).group.includes('bbbb')), 'the update that failed the checks never reached a node');
  const checkEvidence = jobs.find((j) => j.id === outcome.culprits[0]!.failedJobs[0]);
  assert.match(checkEvidence?.reason ?? '', /installable: .*python-oslo-concurrency >= 9.0/);
  // dddd touches two targets: each of its groups was tested on both.
  assert.ok(testJobs.some((j) => j.target === 'kilo/fedora-22'));
  assert.ok(existsSync(join(site.repoPath, 'ready', 'dddd.yml')));
  assert.ok(existsSync(join(site.repoPath, 'updates', 'bbbb.yml')));
});

forEachStore('an update edited in updates/ while phase2 runs is not moved, and only one phase2 runs at a time', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const site = await makePhase2Site(tempDir(t));
  await addUpdate(site, 'aaaa');
  await addUpdate(site, 'bbbb');
  const runId = await startPhase2(site, store);
  const second = await submitPhase2({ store, config: site.config, configHash: 't', snapshot: await snapshotFiles(site.repoPath), repoPath: site.repoPath, now: Date.now(), runId: newRunId(Date.now()) });
  assert.deepEqual(second, { ok: false, kind: 'busy', activeRunId: runId });
  // A packager pushes a new version of bbbb after the snapshot, and a new update arrives.
  writeFileSync(join(site.repoPath, 'updates', 'bbbb.yml'), readFileSync(join(site.repoPath, 'updates', 'bbbb.yml'), 'utf8').replace('update bbbb', 'update bbbb, second version'));
  git(site.repoPath, 'commit', '-qam', 'Update bbbb', '--author', 'Packager bbbb <bbbb@example.org>');
  await addUpdate(site, 'cccc');
  const engine = phase2Engine(site, store);
  engine.start();
  const run = await engine.waitForRun(runId);
  await engine.stop();
  assert.equal(run.verdict, 'pass', run.reason ?? '');
  assert.deepEqual((run.outcome as Phase2RunOutcome).clean, ['aaaa', 'bbbb']);
  assert.ok(existsSync(join(site.repoPath, 'ready', 'aaaa.yml')));
  assert.ok(existsSync(join(site.repoPath, 'updates', 'bbbb.yml')), 'the edited file was not what phase2 tested: it waits');
  assert.match(readFileSync(join(site.repoPath, 'updates', 'bbbb.yml'), 'utf8'), /second version/);
  assert.ok(existsSync(join(site.repoPath, 'updates', 'cccc.yml')), 'merged after the snapshot: the next phase2 takes it');
  const moves = (await store.listEvents({ runId })).find((e) => e.kind === 'phase2.moved')?.payload as { moves: { id: string; moved: boolean; why?: string }[] };
  assert.deepEqual(moves.moves.map((m) => [m.id, m.moved, m.why ?? null]), [['aaaa', true, null], ['bbbb', false, 'changed']]);
  // Now the next phase2 may start, and takes exactly what waits.
  const next = await submitPhase2({ store, config: site.config, configHash: 't', snapshot: await snapshotFiles(site.repoPath), repoPath: site.repoPath, now: Date.now(), runId: newRunId(Date.now()) });
  assert.ok(next.ok);
  assert.deepEqual(next.batch, ['bbbb', 'cccc']);
});
