import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Excerpt } from '../../src/analysis/excerpt.js';
import { jobAnalyzer } from '../../src/analysis/job-analyzer.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { mergeReporter } from '../../src/pipelines/phase1/merge-reporter.js';
import { Engine } from '../../src/engine/engine.js';
import { newRunId } from '../../src/engine/hash.js';
import { imagesReporter, submitImages } from '../../src/pipelines/images/images.js';
import type { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, submit, type Site } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

/**
 * A job whose log is mostly noise with error words in it (retried downloads, a deprecation
 * warning, errors its passing checks log), the same in every run but for numbers; an update
 * whose notes say "breaks quota" makes one check fail in words no pattern knows.
 */
const TEST = `#!/bin/sh
notes=""
[ -n "$SLUICE_UPDATE_FILE" ] && notes=$(sed -n 's/^notes: //p' "$SLUICE_UPDATE_FILE")
echo "worker $$ started at $(date +%s)"
for i in 1 2 3 4 5 6 7 8; do echo "ERROR: mirror $i timed out after $((i * 3))s, retrying"; done
echo "DeprecationWarning: error_callback is deprecated"
rc=0
for c in boot network volume quota image; do
  if [ "$c" = quota ]; then case "$notes" in *"breaks quota"*) echo "check quota: tenant limit is 0 where 10 was set"; rc=1; continue ;; esac; fi
  echo "check $c: fine ($$)"
  echo "  Exception logged by the $c check on purpose: ValueError: expected"
done
status=pass; [ $rc = 0 ] || status=fail
{
  echo '<testsuite name="smoke">'
  if [ $rc = 0 ]; then echo '<testcase classname="smoke" name="test_quota"/>'; else echo '<testcase classname="smoke" name="test_quota"><failure message="limit">x</failure></testcase>'; fi
  echo '</testsuite>'
} > "$SLUICE_RESULTS_DIR/junit.xml"
echo "finished: $status"
exit $rc
`;

function engineFor(site: Site, store: Store): Engine {
  return new Engine({
    store, providers: [localProvider({ name: 'local', capacity: 2, workDir: join(site.dir, 'work'), configDir: site.dir, killGraceMs: 300 })],
    reporters: [mergeReporter({ repoPath: site.repoPath }), imagesReporter({ store, now: () => Date.now() })],
    analyzer: jobAnalyzer({ store }),
    workerId: 'reference-worker', leaseMs: 5000, pollMs: 50, sweepEveryMs: 200, retryBackoffMs: 20,
  });
}

forEachStore('analysis: a failure is compared with the target’s passing baseline log, which the excerpt names, and what both say is left out', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  writeFileSync(join(site.dir, 'tests', 'smoke.sh'), TEST);
  const engine = engineFor(site, store);
  engine.start();
  try {
    // Before any baseline: no reference, and the noise's error lines are shown.
    const early = await engine.waitForRun(await submit(site, store, 'quota0', 'breaks quota', ['kilo/epel-7']));
    assert.equal(early.verdict, 'fail');
    const plain = (await store.listJobs(early.id))[0]?.excerpt as Excerpt;
    assert.equal(plain.reference, undefined);
    assert.ok(plain.lines.some((l) => l.text.startsWith('ERROR: mirror')), JSON.stringify(plain.lines));

    const images = await submitImages({ store, config: site.config, targets: ['kilo/epel-7'], now: Date.now(), runId: newRunId(Date.now()) });
    assert.ok(images.ok);
    engine.notify();
    assert.equal((await engine.waitForRun(images.runId)).verdict, 'pass');
    const baselineJob = (await store.listJobs(images.runId))[0];
    assert.ok(baselineJob?.logPath);

    const run = await engine.waitForRun(await submit(site, store, 'quota', 'breaks quota', ['kilo/epel-7']));
    assert.equal(run.verdict, 'fail');
    const e = (await store.listJobs(run.id))[0]?.excerpt as Excerpt;
    assert.match(e.reference?.label ?? '', new RegExp(`baseline job ${baselineJob.id} \\(run ${images.runId}\\)`));
    assert.ok((e.reference?.knownLines ?? 0) >= 15, JSON.stringify(e.reference));
    const texts = e.lines.map((l) => l.text);
    assert.ok(texts.includes('check quota: tenant limit is 0 where 10 was set'), texts.join('\n'));
    assert.ok(!texts.some((x) => x.startsWith('ERROR: mirror') || x.includes('on purpose')), texts.join('\n'));
    assert.ok(e.lines.length < plain.lines.length, `${e.lines.length} lines with the reference, ${plain.lines.length} without`);
  } finally {
    await engine.stop();
  }
});

forEachStore('analysis: with no baseline, a failure is compared with the latest passing job of the same pipeline on the target', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  writeFileSync(join(site.dir, 'tests', 'smoke.sh'), TEST);
  const engine = engineFor(site, store);
  engine.start();
  try {
    const green = await engine.waitForRun(await submit(site, store, 'green', 'all good', ['kilo/epel-7']));
    assert.equal(green.verdict, 'pass');
    const greenJob = (await store.listJobs(green.id))[0]!;
    // Another target's pass is no reference for this one.
    assert.equal((await engine.waitForRun(await submit(site, store, 'other', 'all good', ['kilo/fedora-22']))).verdict, 'pass');
    const run = await engine.waitForRun(await submit(site, store, 'quota', 'breaks quota', ['kilo/epel-7']));
    assert.equal(run.verdict, 'fail');
    const e = (await store.listJobs(run.id))[0]?.excerpt as Excerpt;
    assert.match(e.reference?.label ?? '', new RegExp(`the passing log of job ${greenJob.id.replace(/\./g, '\\.')} \\(run ${green.id}\\)`));
    const texts = e.lines.map((l) => l.text);
    assert.ok(texts.includes('check quota: tenant limit is 0 where 10 was set'), texts.join('\n'));
    assert.ok(!texts.some((x) => x.startsWith('ERROR: mirror') || x.includes('on purpose')), texts.join('\n'));
  } finally {
    await engine.stop();
  }
});
