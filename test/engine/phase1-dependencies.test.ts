import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explainLines } from '../../src/cli/explain.js';
import type { Config } from '../../src/core/config.js';
import { runComment } from '../../src/drivers/gerrit/comment.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { updatePreparer } from '../../src/drivers/prepare/update-preparer.js';
import { parseConfigText } from '../../src/drivers/registry.js';
import { Engine } from '../../src/engine/engine.js';
import { newRunId } from '../../src/engine/hash.js';
import { specView } from '../../src/engine/job-spec-view.js';
import { storyOf } from '../../src/pipelines/registry.js';
import { submitPhase1, type SubmitResult } from '../../src/pipelines/phase1/submit.js';
import { tempDir } from '../helpers/paths.js';
import { buildRpm, requireRpmTools } from '../helpers/rpm.js';
import { makeSite } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

/**
 * Updates that need each other, end to end (docs/lifecycle.md): Nova's build requires a
 * python-oslo-concurrency newer than production's, which update hz8d, waiting in updates/,
 * brings. The installable check resolves the job's repository with production through dnf,
 * so a missing dependency really fails.
 */
const NOVA = 'openstack-nova-2015.1.2-1.el7';
const OSLO = 'python-oslo-concurrency-1.9.0-1.el7';
const GLANCE = 'openstack-glance-2015.1.2-1.el7';
const file = (...nvrs: string[]) => `notes: x\nbuilds:\n${nvrs.map((n) => `  - {id: ${n}, repo: kilo, dist: el7}\n`).join('')}`;

function configOf(dir: string, configText: string, phase1: string): Config {
  const text = `${configText
    .replace(/kilo\/epel-7: \{ repo: "[^"]*", image: img-kilo-el7 \}/, `kilo/epel-7: { repo: "file://${join(dir, 'production')}", image: img-kilo-el7 }`)
    .replace(/\n {2}kilo\/fedora-22:[^\n]*/, '').replace(/\n {2}liberty\/epel-7:[^\n]*/, '')}sources: { koji: { type: local, path: builds } }\n`
    .replace('pipelines: { phase1: { test:', `pipelines: { phase1: { checks: [installable], ${phase1} test:`);
  const parsed = parseConfigText(text, join(dir, 'sluice.yaml'));
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return parsed.config;
}

forEachStore('phase1 tests an update with the updates it needs: declared with --with, inferred from the RPMs, or all of updates/', async ({ store }, t) => {
  if (!requireRpmTools(t)) return;
  const dir = tempDir(t);
  const site = await makeSite(dir);
  const work = join(dir, 'rpmbuild');
  buildRpm(work, join(dir, 'production'), { name: 'python-oslo-concurrency', version: '1.4.1', release: '1.el7' });
  buildRpm(work, join(dir, 'builds', NOVA), { name: 'openstack-nova', version: '2015.1.2', release: '1.el7', requires: ['python-oslo-concurrency >= 1.8.0'] });
  buildRpm(work, join(dir, 'builds', OSLO), { name: 'python-oslo-concurrency', version: '1.9.0', release: '1.el7' });
  buildRpm(work, join(dir, 'builds', GLANCE), { name: 'openstack-glance', version: '2015.1.2', release: '1.el7', requires: ['python-oslo-concurrency >= 1.4'] });
  // hz8d passed its phase1 and waits in updates/.
  writeFileSync(join(site.repoPath, 'updates', 'hz8d.yml'), file(OSLO));
  const declaredOnly = configOf(dir, site.configText, 'infer_dependencies: false,');
  const inferring = configOf(dir, site.configText, '');
  const onUpdates = configOf(dir, site.configText, 'infer_dependencies: false, base: updates,');

  const engine = new Engine({
    store, providers: [localProvider({ name: 'local', capacity: 2, workDir: join(dir, 'work'), configDir: dir })],
    preparer: updatePreparer({ config: inferring, configDir: dir, store, repoPath: site.repoPath, cacheDir: join(dir, 'cache'), logDir: join(dir, 'work'), now: () => Date.now() }),
    workerId: 'w', leaseMs: 5000, pollMs: 50, sweepEveryMs: 200,
  });
  engine.start();
  t.after(() => engine.stop());
  const submit = (config: Config, id: string, text: string, refs: string[] = []): Promise<SubmitResult> => submitPhase1({
    store, config, configHash: 't', file: `updates/${id}.yml`, bytes: new TextEncoder().encode(text), author: { name: 'P', email: 'p@example.org' },
    now: Date.now(), runId: newRunId(Date.now()), repoPath: site.repoPath, with: refs.map((ref) => ({ ref, why: '--with on the command line' })),
  });
  const finished = async (r: SubmitResult) => {
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const run = await engine.waitForRun(r.runId);
    return { run, jobs: await store.listJobs(r.runId) };
  };

  // Without being told, and with inference off: dnf names what is missing.
  const alone = await finished(await submit(declaredOnly, 'nv4a', file(NOVA)));
  assert.equal(alone.run.verdict, 'fail');
  assert.match(alone.jobs[0]?.reason ?? '', /nothing provides python-oslo-concurrency >= 1\.8\.0 needed by openstack-nova-2015\.1\.2-1\.el7\.noarch/);
  // A --with naming an update whose latest phase1 failed is refused, naming it and its run.
  const onFailed = await submit(declaredOnly, 'k2x9', file(GLANCE), ['nv4a']);
  assert.ok(!onFailed.ok);
  assert.equal(onFailed.problems[0]?.code, 'E_DEPENDENCY_FAILED');
  assert.match(onFailed.problems[0]?.message ?? '', new RegExp(`nv4a: update nv4a ended its latest phase1 \\(run ${alone.run.id}\\) in failure`));

  // With --with hz8d: its builds are in the job's repository, and the run says so.
  const declared = await finished(await submit(declaredOnly, 'nv4a', file(NOVA), ['hz8d']));
  assert.equal(declared.run.verdict, 'pass', declared.jobs[0]?.reason ?? '');
  const explained = explainLines(declared.run, declared.jobs, []).join('\n');
  assert.match(explained, /^ {2}tested with hz8d: --with on the command line \(declared, sha256 [0-9a-f]{12}\)$/m);
  assert.deepEqual((await store.listDependencies(['nv4a'])).map((d) => [d.dependsOn, d.how]), [['hz8d', 'declared']]);
  const declaredLog = readFileSync(join(dir, 'work', declared.run.id, readdirSync(join(dir, 'work', declared.run.id)).find((f) => f.endsWith('-prepare.log'))!), 'utf8');
  assert.match(declaredLog, /== tested with hz8d \(declared\): --with on the command line\n== (fetching )?python-oslo-concurrency-1\.9\.0-1\.el7 from koji/);

  // Not told, inference on: the job finds hz8d provides what production lacks, and says which.
  const inferred = await finished(await submit(inferring, 'nv4b', file(NOVA)));
  assert.equal(inferred.run.verdict, 'pass', inferred.jobs[0]?.reason ?? '');
  const why = 'provides python-oslo-concurrency >= 1.8.0, required by openstack-nova';
  assert.deepEqual(specView(inferred.jobs[0]!)?.testedWith?.map((w) => [w.id, w.how, w.why]), [['hz8d', 'inferred', why]]);
  const line = new RegExp(`tested with hz8d: ${why} \\(inferred on kilo/epel-7, sha256 [0-9a-f]{12}\\)`);
  assert.match(explainLines(inferred.run, inferred.jobs, []).join('\n'), line);
  assert.match(storyOf(inferred.run).outcomeItems(inferred.run, inferred.jobs).map((i) => i.parts.join('')).join('\n'), line, 'the run page');
  assert.match(runComment({ run: inferred.run, jobs: inferred.jobs, excerpts: new Map(), jobUrl: () => undefined }), new RegExp(`Tested with other updates:\\n- ${line.source}`), 'the Gerrit comment');
  assert.deepEqual((await store.listDependencies(['nv4b'])).map((d) => [d.dependsOn, d.how, d.why]), [['hz8d', 'inferred', why]]);

  // A requirement production meets pulls nothing in, even though hz8d provides it too.
  const glance = await finished(await submit(inferring, 'g1an', file(GLANCE)));
  assert.equal(glance.run.verdict, 'pass', glance.jobs[0]?.reason ?? '');
  assert.equal(specView(glance.jobs[0]!)?.testedWith, undefined);
  assert.deepEqual(await store.listDependencies(['g1an']), []);

  // phase1.base: updates: every update in updates/ is under the one tested.
  const base = await finished(await submit(onUpdates, 'nv4c', file(NOVA)));
  assert.equal(base.run.verdict, 'pass', base.jobs[0]?.reason ?? '');
  assert.match(explainLines(base.run, base.jobs, []).join('\n'), /tested with hz8d: in updates\/ \(pipelines\.phase1\.base: updates\) \(base, sha256 [0-9a-f]{12}\)/);
}, { timeoutMs: 180_000 });

forEachStore('a dependency that names no update, or closes a cycle, is refused and nothing is written', async ({ store }, t) => {
  const dir = tempDir(t);
  const site = await makeSite(dir);
  const submit = async (id: string, text: string, refs: string[] = []) => submitPhase1({
    store, config: site.config, configHash: 't', file: `updates/${id}.yml`, bytes: new TextEncoder().encode(text), author: { name: 'P', email: 'p@example.org' },
    now: Date.now(), runId: newRunId(Date.now()), repoPath: site.repoPath, with: refs.map((ref) => ({ ref, why: '--with on the command line' })),
  });
  const unknown = await submit('nv4a', file(NOVA), ['zz99']);
  assert.ok(!unknown.ok);
  assert.deepEqual(unknown.problems.map((p) => [p.code, p.message]), [['E_DEPENDENCY_UNKNOWN', 'zz99: no update zz99 is known (not submitted, not in updates/ or ready/) (declared by --with on the command line)']]);
  const badChange = await submit('nv4a', file(NOVA), ['https://review.example.org/c/p/+/4321']);
  assert.ok(!badChange.ok && /Sluice has tested no update of change 4321/.test(badChange.problems[0]?.message ?? ''));
  // depends_on in the file: the problem points at its entry.
  const inFile = await submit('nv4a', `${file(NOVA)}depends_on:\n  - hz8d\n  - qq11\n`);
  assert.ok(!inFile.ok);
  assert.deepEqual(inFile.problems.map((p) => [p.code, p.line, p.path]), [['E_DEPENDENCY_UNKNOWN', 5, 'depends_on[0]'], ['E_DEPENDENCY_UNKNOWN', 6, 'depends_on[1]']]);
  assert.equal((await store.listRuns()).length, 0, 'nothing written');

  // cl2m is submitted; hz8d needs it (depends_on); cl2m then declaring it needs hz8d closes a cycle.
  assert.ok((await submit('cl2m', file(GLANCE))).ok);
  const hz8d = await submit('hz8d', `${file(OSLO)}depends_on: [cl2m]\n`);
  assert.ok(hz8d.ok, JSON.stringify(!hz8d.ok && hz8d.problems));
  const cycle = await submit('cl2m', file(GLANCE), ['hz8d']);
  assert.ok(!cycle.ok);
  assert.equal(cycle.problems[0]?.code, 'E_DEPENDENCY_CYCLE');
  assert.match(cycle.problems[0]?.message ?? '', /the updates need each other in a cycle: cl2m → hz8d → cl2m/);
  // A withdrawn one (its phase1 cancelled, nothing left of it) is said as such.
  const withdrawn = await submit('wd01', file(GLANCE));
  assert.ok(withdrawn.ok);
  await store.cancelRun({ runId: withdrawn.runId, now: Date.now(), reason: 'withdrawn by its packager' });
  const onWithdrawn = await submit('nv4a', file(NOVA), ['wd01']);
  assert.ok(!onWithdrawn.ok);
  assert.deepEqual(onWithdrawn.problems.map((p) => [p.code, p.message]), [['E_DEPENDENCY_FAILED', `wd01: update wd01 was withdrawn: its latest phase1 (run ${withdrawn.runId}) was cancelled: it cannot be tested with it (declared by --with on the command line)`]]);
  const self = await submit('nv4a', file(NOVA), ['nv4a']);
  assert.ok(!self.ok && self.problems[0]?.code === 'E_DEPENDENCY_CYCLE');
  // A dependency's own needs come along: nv4a with hz8d is tested with cl2m too.
  const transitive = await submit('nv4a', file(NOVA), ['hz8d']);
  assert.ok(transitive.ok);
  const run = await store.getRun(transitive.runId);
  assert.deepEqual(run?.pipeline === 'phase1' && run.inputs.testedWith?.map((w) => [w.id, w.why]), [['hz8d', '--with on the command line'], ['cl2m', `needed by hz8d: depends_on in updates/hz8d.yml`]]);
});
