import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
 * The target's own state is files in the site: `volume-broken` (the baseline's volume test
 * fails, whatever the update), `node-broken` (the baseline cannot even run its tests).
 * An update's notes may break boot as well.
 */
const TEST = `#!/bin/sh
notes=""
[ -n "$SLUICE_UPDATE_FILE" ] && notes=$(sed -n 's/^notes: //p' "$SLUICE_UPDATE_FILE")
if [ -e "$SLUICE_CONFIG_DIR/node-broken" ]; then echo "Error: packstack failed to provision"; exit 1; fi
{
  echo '<testsuite name="smoke">'
  case "$notes" in *"breaks boot"*) echo '<testcase classname="smoke" name="test_boot"><failure message="no boot">x</failure></testcase>' ;; *) echo '<testcase classname="smoke" name="test_boot"/>' ;; esac
  if [ -e "$SLUICE_CONFIG_DIR/volume-broken" ]; then echo '<testcase classname="smoke" name="test_volume"><failure message="cinder down">x</failure></testcase>'; else echo '<testcase classname="smoke" name="test_volume"/>'; fi
  echo '</testsuite>'
} > "$SLUICE_RESULTS_DIR/junit.xml"
grep -q '<failure' "$SLUICE_RESULTS_DIR/junit.xml" && { echo "FAILED"; exit 1; }
echo ok
`;

function engineFor(site: Site, store: Store): Engine {
  return new Engine({
    store, providers: [localProvider({ name: 'local', capacity: 2, workDir: join(site.dir, 'work'), configDir: site.dir, killGraceMs: 300 })],
    reporters: [mergeReporter({ repoPath: site.repoPath }), imagesReporter({ store, now: () => Date.now() })],
    analyzer: jobAnalyzer({ store, requestBaseline: async (target) => { const r = await submitImages({ store, config: site.config, targets: [target], now: Date.now(), runId: newRunId(Date.now()) }); return r.ok ? r.runId : undefined; } }),
    workerId: 'baseline-worker', leaseMs: 5000, pollMs: 50, sweepEveryMs: 200, retryBackoffMs: 20,
  });
}

forEachStore('baseline-aware verdicts: failures the baseline shares are pre-existing, regressions still fail, a red baseline proposes or disables', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  writeFileSync(join(site.dir, 'tests', 'smoke.sh'), TEST);
  writeFileSync(join(site.dir, 'volume-broken'), '');
  const engine = engineFor(site, store);
  engine.start();
  try {
    // No baseline yet: the failure stands, and a reference run is requested and named.
    const first = await engine.waitForRun(await submit(site, store, 'nova', 'plain', ['kilo/epel-7']));
    assert.equal(first.verdict, 'fail');
    const reason = (await store.listJobs(first.id))[0]!.reason ?? '';
    const requested = /reference run (\S+) requested/.exec(reason)?.[1];
    assert.ok(requested, reason);
    assert.match(reason, /^1 of 2 tests failed: smoke.test_volume; no baseline results for kilo\/epel-7 yet/);
    const baseline = await engine.waitForRun(requested);
    assert.equal(baseline.pipeline, 'images');
    assert.equal(baseline.verdict, 'fail');
    // Its tests ran and partly failed: a proposal with the evidence, not a disable.
    assert.equal((await store.getTargetState('kilo/epel-7', Date.now())).disabled, false);
    const proposal = (await store.listEvents({ runId: baseline.id })).find((e) => e.kind === 'target.disable_proposed');
    assert.match((proposal?.payload as { reason: string }).reason, /baseline red in run .*: 1 of 2 tests failed: smoke.test_volume/);

    // The same update again: its only failure is pre-existing, so it passes and says why.
    const again = await engine.waitForRun(await submit(site, store, 'nova', 'plain', ['kilo/epel-7']));
    assert.equal(again.verdict, 'pass', again.reason ?? '');
    assert.equal((await store.listJobs(again.id))[0]!.reason, `passed: 1 failing test also fails on the baseline (run ${baseline.id}), pre-existing: smoke.test_volume`);
    // A regression beside the pre-existing failure still fails, naming only the regression.
    const broken = await engine.waitForRun(await submit(site, store, 'boot', 'breaks boot', ['kilo/epel-7']));
    assert.equal(broken.verdict, 'fail');
    assert.equal((await store.listJobs(broken.id))[0]!.reason, `1 of 1 test failed: smoke.test_boot; also failing on the baseline (run ${baseline.id}), not counted: smoke.test_volume`);

    // A baseline that cannot run its tests at all disables the target; the next green one enables it.
    writeFileSync(join(site.dir, 'node-broken'), '');
    const red = await submitImages({ store, config: site.config, targets: ['kilo/epel-7'], now: Date.now(), runId: newRunId(Date.now()) });
    assert.ok(red.ok);
    engine.notify();
    await engine.waitForRun(red.runId);
    const disabled = await store.getTargetState('kilo/epel-7', Date.now());
    assert.ok(disabled.disabled && disabled.disabledBy === 'sluice-images' && /Error|exited with status 1/.test(disabled.reason), JSON.stringify(disabled));
    rmSync(join(site.dir, 'node-broken'));
    rmSync(join(site.dir, 'volume-broken'));
    const green = await submitImages({ store, config: site.config, targets: ['kilo/epel-7'], now: Date.now(), runId: newRunId(Date.now()) });
    assert.ok(green.ok);
    engine.notify();
    assert.equal((await engine.waitForRun(green.runId)).verdict, 'pass');
    assert.equal((await store.getTargetState('kilo/epel-7', Date.now())).disabled, false);
    assert.ok(!existsSync(join(site.dir, 'node-broken')));
  } finally {
    await engine.stop();
  }
});
